import ArgumentParser
import Foundation
import QBIngest

/// Command-line settings shared by every command that reads a data set.
struct IngestOptions: ParsableArguments {
    @Option(help: "Preprocessing preset: auto, \(Preprocessing.presets.keys.sorted().joined(separator: ", ")).")
    var preset: String = "auto"

    @Flag(
        name: .customLong("no-dct-scaling"),
        help: "Decode JPEGs at full size even when the target is at most half the source.")
    var noDCTScaling = false

    @Option(help: "Refuse images with more pixels than this (decompression-bomb guard).")
    var maxPixels: Int = DecodeOptions.default.maxPixels

    @Option(
        name: .customLong("on-bad"),
        help: "What to do with a sample that cannot be read: fail (stop) or skip (count and list it).")
    var onBad: String = BadSamplePolicy.failFast.rawValue

    @OptionGroup var threadOptions: ThreadOptions
    var threads: Int { threadOptions.threads }

    @Option(help: "Use only the first N samples.")
    var limit: Int?

    @Option(help: "Declared class names, comma-separated, in label order; a label outside them is an error.")
    var classes: String?

    @Option(help: "IDX labels file (default: the images file's name with images->labels, idx3->idx1).")
    var labels: String?

    @Option(help: "Text column (CSV) or field (JSON Lines) of a labeled text set.")
    var textColumn: String = "text"

    @Option(help: "Label column (CSV) or field (JSON Lines).")
    var labelColumn: String = "label"

    @Option(help: "WordPiece vocab.txt for text sets (default: byte-level tokens).")
    var vocab: String?

    @Option(help: "Truncate token sequences to this many ids (special tokens included).")
    var maxLength: Int?

    func validate() throws {
        if preset != "auto" && Preprocessing.presets[preset] == nil {
            throw ValidationError(
                "unknown preset \"\(preset)\"; choose auto, "
                    + "\(Preprocessing.presets.keys.sorted().joined(separator: ", "))"
            )
        }
        if BadSamplePolicy(rawValue: onBad) == nil { throw ValidationError("--on-bad must be fail or skip") }
        if maxPixels < 1 { throw ValidationError("--max-pixels must be positive") }
        if let limit, limit < 1 { throw ValidationError("--limit must be positive") }
        if let maxLength, maxLength < 2 { throw ValidationError("--max-length must be at least 2") }
    }

    var settings: IngestSettings {
        var s = IngestSettings()
        s.decode = DecodeOptions(maxPixels: maxPixels, dctScaling: !noDCTScaling)
        s.preprocessing = Preprocessing.presets[preset]
        s.policy = BadSamplePolicy(rawValue: onBad) ?? .failFast
        s.threads = threads
        s.limit = limit
        s.declaredClasses = classes.map { $0.split(separator: ",").map(String.init) }
        s.labelsFile = labels
        s.textColumn = textColumn
        s.labelColumn = labelColumn
        s.vocabulary = vocab
        s.maxLength = maxLength
        return s
    }
}
