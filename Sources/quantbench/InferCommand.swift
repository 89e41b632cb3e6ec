import ArgumentParser
import Foundation
import QBEngine
import QBQuant
import QBIngest

/// `quantbench infer MODEL.onnx --input X.npy [--input NAME=Y.npy ...] --output OUT.npy`.
struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Run FP32 inference on NumPy .npy inputs; print output shapes and the time taken.",
        discussion: """
            --input X.npy binds the model's inputs in order; --input NAME=X.npy binds one by name. \
            --output writes the first output (or NAME=OUT.npy, one output by name) as float32/int64 .npy.
            """)

    @Argument(help: "The ONNX model.")
    var model: String

    @Option(name: .customLong("input"), help: "An input: FILE.npy (next unbound input) or NAME=FILE.npy.")
    var inputs: [String] = []

    @Option(
        name: .customLong("output"), help: "Where to write an output: FILE.npy (the first output) or NAME=FILE.npy.")
    var outputs: [String] = []

    @Flag(name: .customLong("no-optimize"), help: "Run the graph as written (no folding or fusion).")
    var noOptimize = false

    @OptionGroup var threadOptions: ThreadOptions
    var threads: Int { threadOptions.threads }

    @OptionGroup var limitOptions: LimitOptions

    @OptionGroup var isaOptions: ISAOptions

    func run() throws {
        isaOptions.apply()
        try CLI.guarded {
            // A .qbqm file (from `quantbench quantize`) runs as written: its graph is already optimized.
            let session =
                model.hasSuffix(".qbqm")
                ? try Session(
                    graph: try ModelFile.load([UInt8](try FileReader.read(model)), file: model),
                    options: limitOptions.session(optimize: false, threads: threads))
                : try Session(modelPath: model, options: limitOptions.session(optimize: !noOptimize, threads: threads))
            CLI.printNotices(session.graph)
            var feeds = [String: Value]()
            var next = session.inputs.makeIterator()
            let inputNames = Set(session.inputs.map(\.name)), outputNames = Set(session.outputs.map(\.name))
            for spec in inputs {
                let (name, file) = split(spec, names: inputNames)
                guard let target = name ?? next.next()?.name else {
                    throw ValidationError(
                        "more --input files than model inputs (\(session.inputs.map(\.name).joined(separator: ", ")))")
                }
                feeds[target] = try NPYFile.read(file)
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let result = try session.run(feeds)
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            for o in session.outputs { print("\(o.name): \(result[o.name]!.signature)") }
            print(String(format: "time: %.2f ms (%d threads)", ms, threads))
            for spec in outputs {
                let (name, file) = split(spec, names: outputNames)
                let key = name ?? session.outputs[0].name
                guard let v = result[key] else { throw ValidationError("the model has no output \(key)") }
                try AtomicFile.write(NPYFile.encode(v), to: file)
                print("wrote \(key) to \(file)")
            }
        }
    }

    /// `NAME=FILE` or `FILE`. A name may hold '/' (torch.onnx names values `/enc/Mul_output_0`): a prefix before any
    /// '=' that is one of the model's `names` is the name; otherwise a prefix without '/' is (and is checked later).
    private func split(_ spec: String, names: Set<String>) -> (String?, String) {
        for eq in spec.indices where spec[eq] == "=" && names.contains(String(spec[..<eq])) {
            return (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
        }
        if let eq = spec.firstIndex(of: "="), !spec[..<eq].contains("/") {
            return (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
        }
        return (nil, spec)
    }
}
