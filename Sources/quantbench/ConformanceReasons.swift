/// Why ONNX node tests the engine does not run are out of its scope (or not done yet): each unsupported reason
/// falls in one family, and the conformance report explains the family once and lists its tests.
enum ConformanceReasons {
    struct Family: Hashable {
        var title: String
        var explanation: String
    }

    static let families: [(keys: [String], family: Family)] = [
        (
            ["Sequence", "Optional", "no tensor type", "typeProto"],
            Family(
                title: "Sequences and optionals",
                explanation: "The engine's values are tensors. Sequence and optional types (and the operators that "
                    + "make or read them) occur in none of the suite's models or the third-party set; a model "
                    + "that uses them is refused at load, naming the node.")
        ),
        (
            ["StringNormalizer", "TfIdfVectorizer", "element type 8"],
            Family(
                title: "Strings",
                explanation: "String tensors (text preprocessing inside the graph) are not carried; the suite "
                    + "tokenizes text before the model.")
        ),
        (
            ["Bernoulli", "RandomUniform", "RandomNormal", "Multinomial"],
            Family(
                title: "Random generators",
                explanation: "Their outputs depend on a generator the spec does not fix, so no expected output can "
                    + "be matched and the suite's results would stop being reproducible.")
        ),
        (
            ["training_mode", "training outputs", "default-domain"],
            Family(
                title: "Training",
                explanation: "Training-time behaviour (Dropout/BatchNormalization in training mode, running "
                    + "statistics) and the ai.onnx.preview.training optimizers and gradients: the engine runs "
                    + "inference only.")
        ),
        (
            ["DFT", "STFT", "Window", "MelWeightMatrix"],
            Family(
                title: "Signal processing",
                explanation: "DFT, STFT, the window generators and MelWeightMatrix (opset 17) are not implemented: "
                    + "the speech models the suite met compute their spectrograms outside the graph or with "
                    + "Conv (openWakeWord's mel model). Not done yet.")
        ),
        (
            ["GridSample", "RoiAlign"],
            Family(
                title: "Sampling operators",
                explanation: "GridSample and RoiAlign (spatial transformers, two-stage detectors) are not "
                    + "implemented yet; a model using them is refused, naming the node.")
        ),
        (
            ["element type 16", "Scan of opset 8"],
            Family(
                title: "bfloat16 and legacy forms",
                explanation: "bfloat16 tensors (a training and GPU type; exported inference models use float32 or "
                    + "float16), and Scan as opset 8 defined it (batched, with sequence_lens; opset 9's Scan is "
                    + "supported): not implemented.")
        ),
    ]

    static let other = Family(title: "Other", explanation: "Not classified.")

    /// The family of an unsupported reason.
    static func family(of reason: String) -> Family {
        families.first { entry in entry.keys.contains { reason.contains($0) } }?.family ?? other
    }

    /// Markdown: per family, its explanation, then each reason with the tests it covers.
    static func markdown(_ reasons: [String: [String]]) -> [String] {
        var byFamily = [Family: [(String, [String])]]()
        for (reason, names) in reasons { byFamily[family(of: reason), default: []].append((reason, names)) }
        var lines = [String]()
        let order = families.map(\.family) + [other]
        for family in order {
            guard let entries = byFamily[family] else { continue }
            let count = entries.reduce(0) { $0 + $1.1.count }
            lines += ["### \(family.title) (\(count) tests)", "", family.explanation, ""]
            for (reason, names) in entries.sorted(by: { ($0.1.count, $1.0) > ($1.1.count, $0.0) }) {
                lines.append("- \(reason): " + names.sorted().map { "`\($0)`" }.joined(separator: ", "))
            }
            lines.append("")
        }
        return lines
    }
}
