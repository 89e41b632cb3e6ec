import Foundation
import QBEngine
import QBIngest
import QBMetrics

/// Runs a suite: every model in FP32 (the reference), then every listed variant, each on the evaluation
/// set its card names, and computes the metrics of each variant against the labels and against FP32.
public struct SuiteRunner {
    public var root: String
    public var options: SessionOptions
    public var log: (String) -> Void
    public var progress: ((String) -> ((Int, Int) -> Void))?

    public init(root: String, options: SessionOptions = SessionOptions(), log: @escaping (String) -> Void = { _ in },
                progress: ((String) -> ((Int, Int) -> Void))? = nil) {
        self.root = root
        self.options = options
        self.log = log
        self.progress = progress
    }

    public func run(_ suite: Suite) throws -> SuiteResults {
        var rows = [ResultRow]()
        for entry in suite.models {
            let folder = entry.model.hasPrefix("/") ? entry.model : root + "/" + entry.model
            let card = try ModelCard.load(folder)
            let graph = try ModelLoader.load(folder + "/model.onnx", limits: options.limits)
            let bytes = ((try? FileManager.default.attributesOfItem(atPath: folder + "/model.onnx"))?[.size] as? NSNumber)?.intValue ?? 0
            var reference: CardEvaluation.Outcome? = nil
            for name in (["fp32"] + entry.variants.filter { $0 != "fp32" }) {
                guard let variant = Variants.table[name] else { throw HarnessError(file: folder, "unknown variant \(name)") }
                log("\(card.name): \(name)")
                let start = Date()
                let session = try Session(graph: try variant.prepare(graph), options: options)
                let outcome = try CardEvaluation.run(folder: folder, root: root, options: options, limit: entry.limit, session: session,
                                                     progress: progress?("\(card.name) \(name)"))
                if name == "fp32" { reference = outcome }
                guard entry.variants.contains(name) else { continue }
                var row = ResultRow(model: card.name, folder: entry.model, dataset: card.eval.dataset, variant: name, kind: "",
                                    samples: 0, fingerprint: nil, metrics: [:], seconds: Date().timeIntervalSince(start))
                row.metrics["bits_per_weight"] = variant.bitsPerWeight
                row.metrics["model_bytes"] = Double(bytes)
                try fill(&row, outcome, reference: reference!)
                rows.append(row)
            }
        }
        return SuiteResults(suite: suite.name, environment: .current(avx2: GEMM.usesAVX2), rows: rows)
    }

    private func fill(_ row: inout ResultRow, _ outcome: CardEvaluation.Outcome, reference: CardEvaluation.Outcome) throws {
        switch (outcome, reference) {
        case (.classification(let c), .classification(let r)):
            row.kind = "classification"
            row.samples = c.count
            row.fingerprint = c.fingerprint
            let ci = Statistics.wilson(successes: c.correct, n: c.count)
            row.metrics["top1"] = c.accuracy
            row.metrics["top1_ci_low"] = ci.low
            row.metrics["top1_ci_high"] = ci.high
            row.metrics["top5"] = Double(c.topK(5)) / Double(max(c.count, 1))
            row.metrics["delta_top1"] = c.accuracy - r.accuracy
            row.metrics["agreement"] = Double(zip(c.predictions, r.predictions).filter { $0 == $1 }.count) / Double(max(c.count, 1))
            row.metrics["flips_correct_to_wrong"] = Double(c.labels.indices.filter { r.predictions[$0] == c.labels[$0] && c.predictions[$0] != c.labels[$0] }.count)
            row.metrics["flips_wrong_to_correct"] = Double(c.labels.indices.filter { r.predictions[$0] != c.labels[$0] && c.predictions[$0] == c.labels[$0] }.count)
            if c.classes > 0 && r.classes == c.classes {
                row.metrics["kl"] = c.labels.indices.reduce(0.0) { $0 + Statistics.klDivergence(reference: r.row($1), c.row($1)) } / Double(max(c.count, 1))
            }
        case (.perplexity(let p), .perplexity(let r)):
            row.kind = "perplexity"
            row.samples = p.windows
            row.metrics["perplexity"] = p.perplexity
            row.metrics["perplexity_se"] = p.perplexityStandardError
            row.metrics["bits_per_byte"] = p.bitsPerToken
            row.metrics["delta_perplexity"] = p.perplexity - r.perplexity
        case (.predictions(let top1), .predictions(let ref)):
            row.kind = "agreement"
            row.samples = top1.count
            row.metrics["agreement"] = Double(zip(top1, ref).filter { $0 == $1 }.count) / Double(max(top1.count, 1))
        default:
            throw HarnessError(file: row.folder, "the variant's evaluation differs in kind from FP32's")
        }
    }
}
