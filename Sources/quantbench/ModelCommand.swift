import ArgumentParser
import Foundation
import QBEngine
import QBHarness
import QBIngest
import QBMetrics

/// `quantbench model eval FOLDER`: a model's FP32 figure on its evaluation set, by the engine.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Work with the model zoo.", subcommands: [Eval.self])

    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Evaluate a model folder (model.onnx + card.json) in FP32 on the evaluation set its card names.",
            discussion:
                "Prints the accuracy (or perplexity) and compares it with the onnxruntime figure of the card; exit "
                + "code 2 when they differ."
        )

        @Argument(help: "The model folder, e.g. Models/fmnist-resnet.")
        var folder: String

        @OptionGroup var rootOptions: RootOptions
        var root: String { rootOptions.root }

        @OptionGroup var threadOptions: ThreadOptions
        var threads: Int { threadOptions.threads }

        @OptionGroup var limitOptions: LimitOptions

        @Option(help: "Evaluate only the first N samples (perplexity: windows).")
        var limit: Int?

        @Flag(help: "Record the engine's figure in the card (beside PyTorch's and onnxruntime's), written atomically.")
        var record = false

        @OptionGroup var isaOptions: ISAOptions

        func run() throws {
            isaOptions.apply()
            var mismatch = false
            var recorded: (key: String, fields: [String: Any])? = nil
            try CLI.guarded {
                let card = try ModelCard.load(folder)
                let start = Date()
                let outcome = try CardEvaluation.run(
                    folder: folder, root: root, options: limitOptions.session(threads: threads), limit: limit,
                    progress: CLI.progressPrinter(label: card.name))
                let seconds = Date().timeIntervalSince(start)
                let json =
                    (try? JSONSerialization.jsonObject(
                        with: Data(contentsOf: URL(fileURLWithPath: folder + "/card.json")))) as? [String: Any]
                let fp32 = json?["fp32"] as? [String: Any] ?? [:]
                print("model: \(card.name) (\(card.parameters) parameters)")
                print("evaluation set: \(card.eval.dataset)")
                switch outcome {
                case .classification(let c):
                    print(String(format: "top-1: %d / %d = %.4f", c.correct, c.count, c.accuracy))
                    let key = fp32.first { (($0.value as? [String: Any])?["count"] as? Int) == c.count }?.key
                    let reference = key.flatMap { fp32[$0] as? [String: Any] }
                    if let key { recorded = (key, ["quantbench_correct": c.correct]) }
                    if let r = reference?["onnxruntime_correct"] as? Int {
                        print(
                            "card (onnxruntime): \(r) / \(c.count)" + (r == c.correct ? " - identical" : " - DIFFERENT")
                        )
                        mismatch = r != c.correct
                    }
                case .predictions(let top1):
                    print("top-1 classes: \(top1.map(String.init).joined(separator: " "))")
                    if let key = fp32.first(where: { (($0.value as? [String: Any])?["count"] as? Int) == top1.count })?
                        .key
                    {
                        recorded = (key, ["quantbench_top1": top1])
                    }
                    if let r = fp32.values.compactMap({ $0 as? [String: Any] }).first?["onnxruntime_top1"] as? [Int] {
                        let agree = zip(r, top1).filter { $0 == $1 }.count
                        print(
                            "agreement with the card's onnxruntime top-1 (its own preprocessing): \(agree) / "
                                + "\(top1.count)"
                        )
                    }
                case .perplexity(let p):
                    print(
                        String(
                            format: "perplexity: %.5f (%.5f bits per byte) over %d windows, %d predicted bytes",
                            p.perplexity, p.bitsPerToken, p.windows, p.predicted))
                    let key = fp32.first { (($0.value as? [String: Any])?["windows"] as? Int) == p.windows }?.key
                    let reference = key.flatMap { fp32[$0] as? [String: Any] }
                    if let key {
                        recorded = (key, ["quantbench_nll_sum": p.nllSum, "quantbench_perplexity": p.perplexity])
                    }
                    if let r = reference?["onnxruntime_perplexity"] as? Double {
                        let same = abs(r - p.perplexity) / r < 1e-5
                        print(
                            String(format: "card (onnxruntime): %.5f", r)
                                + (same ? " - equal within 1e-5" : " - DIFFERENT"))
                        mismatch = !same
                    }
                }
                print(String(format: "time: %.1f s", seconds))
                if record {
                    guard let recorded, var card = json else {
                        throw EngineError(
                            .malformedModel, file: folder + "/card.json",
                            "no fp32 entry of the card matches this evaluation's size")
                    }
                    var entries = card["fp32"] as? [String: Any] ?? [:]
                    var entry = entries[recorded.key] as? [String: Any] ?? [:]
                    for (k, v) in recorded.fields { entry[k] = v }
                    entries[recorded.key] = entry
                    card["fp32"] = entries
                    let data = try JSONSerialization.data(
                        withJSONObject: card, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                    try AtomicFile.write(data + Data("\n".utf8), to: folder + "/card.json")
                    print("recorded the engine's figure in \(folder)/card.json (fp32.\(recorded.key))")
                }
            }
            if mismatch { throw ExitCode(ExitStatus.regression.rawValue) }
        }
    }
}
