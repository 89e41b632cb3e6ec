import ArgumentParser
import QBHarness

/// `--root DIR`, one option for every command that reads the project's files: the folder that suites', cards' and
/// data sets' relative paths start from.
struct RootOptions: ParsableArguments {
    @Option(help: "The project folder (paths in suites, cards and data sets are relative to it).")
    var root: String = "."
}

/// `--reps N`, one option for every benchmark: timed repetitions, of which the median counts.
struct RepetitionOptions: ParsableArguments {
    @Option(help: "Timed repetitions, 1 or more (the median counts).")
    var reps: Int = 7

    func validate() throws {
        guard reps >= 1 else { throw ValidationError("--reps must be at least 1, got \(reps)") }
    }
}

/// `--variant V`, one option for every command that quantizes a model with one variant of the table.
struct VariantOptions: ParsableArguments {
    @Option(help: "A quantized variant of the README's variant table.")
    var variant: String = "int8"

    /// The variant's definition (`validate` has checked that the table has it).
    var definition: VariantDef { Variants.named(variant)! }

    func validate() throws {
        guard let definition = Variants.named(variant), definition.isQuantized else {
            throw ValidationError("unknown or unquantized variant \(variant) (known: \(Variants.names))")
        }
    }
}

/// The options every model benchmark takes: threads, repetitions, the project folder and the ISA cap.
struct BenchmarkOptions: ParsableArguments {
    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var repetitionOptions: RepetitionOptions
    @OptionGroup var rootOptions: RootOptions
    @OptionGroup var isaOptions: ISAOptions

    var threads: Int { threadOptions.threads }
    var reps: Int { repetitionOptions.reps }
    var root: String { rootOptions.root }
}
