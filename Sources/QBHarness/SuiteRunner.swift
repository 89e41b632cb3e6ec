import Foundation
import QBEngine
import QBIngest
import QBMetrics
import QBQuant

/// Runs a suite: every model in FP32 (the reference), then every listed variant, each on the evaluation
/// set its card names, and computes the metrics of each variant against the labels and against FP32.
public struct SuiteRunner {
    public var root: String
    public var options: SessionOptions
    public var log: (String) -> Void
    public var progress: ((String) -> ((Int, Int) -> Void))?
    /// Where finished parts (one model entry with all its variants) are kept while a run is under way, so
    /// that a killed run resumes from them; nil keeps nothing. The caller removes the folder after success.
    public var partsFolder: String?
    /// Time each quantized variant's layers against FP32 (`kernel_gops`, `kernel_speedup`).
    public var measureKernels = true
    /// Where mixed precision's sensitivities are cached (nil: measured every run).
    public var cacheFolder: String?
    /// Where prepared variants are (`PreparedVariants`; nil: every variant is quantized by the run).
    public var preparedFolder: String?

    public init(
        root: String, options: SessionOptions = SessionOptions(), log: @escaping (String) -> Void = { _ in },
        progress: ((String) -> ((Int, Int) -> Void))? = nil
    ) {
        self.root = root
        self.options = options
        self.log = log
        self.progress = progress
    }

    /// Runs the suite, or with `shard` = (k, n) only the k-th of n contiguous sample ranges of every model
    /// (k from 0); `SuiteResults.merge` adds the shards' rows back up exactly. Each model entry goes through the
    /// stages resolve (paths, sample range, part key), resume (a finished part of an interrupted run), run
    /// (`ModelEntryRun`: calibrate, build, measure, evaluate, record each variant) and keep (the part file).
    public func run(_ suite: Suite, shard: (index: Int, count: Int)? = nil) throws -> SuiteResults {
        var rows = [ResultRow]()
        for (entryIndex, entry) in suite.models.enumerated() {
            let plan = try resolve(entry, suite: suite, shard: shard)
            let partPath = partsFolder.map { $0 + "/part-\(entryIndex).json" }
            if let partPath, let resumed = resumedPart(at: partPath, key: plan.partKey) {
                log("\(plan.card.name): resumed from \(partPath)")
                rows += resumed
                continue
            }
            let entryRows = try ModelEntryRun(runner: self, plan: plan).run()
            rows += entryRows
            if let partPath { try keepPart(entryRows, key: plan.partKey, at: partPath) }
        }
        return SuiteResults(suite: suite.name, environment: .current(avx2: GEMM.usesAVX2), rows: rows)
    }

    /// Quantizes every variant of the suite once and writes it to `preparedFolder` (`quantbench prepare`), for the
    /// runs and shards that follow to load; returns the number of variants written.
    public func prepare(_ suite: Suite) throws -> Int {
        guard preparedFolder != nil else { return 0 }
        var written = 0
        for entry in suite.models {
            written += try ModelEntryRun(runner: self, plan: try resolve(entry, suite: suite, shard: nil)).prepare()
        }
        return written
    }

    /// One model entry resolved: its folder and card, the sample range this run covers, and its part's key.
    struct EntryPlan {
        var entry: Suite.Entry
        var folder: String
        var card: ModelCard
        /// The first sample and the end of the range (nil: to the entry's limit or the set's end).
        var first: Int
        var limit: Int?
        /// The samples of the whole range the shards split (0 when not sharded).
        var total: Int
        var sharded: Bool
        var partKey: String
    }

    /// The resolve stage: paths, the card, the shard's sample range and the part key.
    /// A suite path (relative to the suite's root unless absolute).
    func path(_ relative: String) -> String { ModelCard.resolve(relative, root: root) }

    func resolve(_ entry: Suite.Entry, suite: Suite, shard: (index: Int, count: Int)?) throws -> EntryPlan {
        let folder = path(entry.model)
        let card = try ModelCard.load(folder)
        var first = 0, limit = entry.limit, total = 0
        if let shard {
            total = min(
                entry.limit ?? Int.max,
                try CardEvaluation.sampleCount(folder: folder, root: root, dataset: entry.dataset))
            first = total * shard.index / shard.count
            limit = total * (shard.index + 1) / shard.count
        }
        let partKey = try self.partKey(suite: suite, entry: entry, folder: folder, first: first, limit: limit)
        return EntryPlan(
            entry: entry, folder: folder, card: card, first: first, limit: limit, total: total, sharded: shard != nil,
            partKey: partKey)
    }

    /// The rows of a finished part of an interrupted run with the same model, card, variants and range.
    func resumedPart(at path: String, key: String) -> [ResultRow]? {
        guard let data = FileManager.default.contents(atPath: path),
            let part = try? JSONDecoder().decode(Part.self, from: data), part.key == key
        else { return nil }
        return part.rows
    }

    /// The keep stage: the entry's rows written atomically, for a killed run to resume from.
    func keepPart(_ rows: [ResultRow], key: String, at path: String) throws {
        guard let partsFolder else { return }
        try FileManager.default.createDirectory(atPath: partsFolder, withIntermediateDirectories: true)
        try AtomicFile.write(try JSONEncoder().encode(Part(key: key, rows: rows)), to: path)
    }

    /// A finished model entry, kept for resuming.
    struct Part: Codable {
        var key: String
        var rows: [ResultRow]
    }

    /// What a part must match to be reused: the suite's name, the entry, the range, and the exact bytes of
    /// the model and its card.
    func partKey(suite: Suite, entry: Suite.Entry, folder: String, first: Int, limit: Int?) throws -> String {
        struct Settings: Encodable {
            var suite: String
            var model: String
            var variants: [String]
            var first: Int
            var limit: Int?
            var calibration: Int?
            var dataset: String?
            var qwtSamples: Int?
            var qwtBlocks: [[String]]?
            var external: [Suite.ExternalVariant]
        }
        var f = Fingerprint(
            domain: "suite-part",
            settings: Settings(
                suite: suite.name, model: entry.model, variants: entry.variants, first: first, limit: limit,
                calibration: entry.calibration, dataset: entry.dataset, qwtSamples: entry.qwtSamples,
                qwtBlocks: entry.qwtBlocks, external: entry.external))
        for file in [folder + "/model.onnx", folder + "/card.json"] {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw HarnessError(.missingFile, file: file, "cannot be read")
            }
            f.addBytes(data)
        }
        for external in entry.external {
            guard let data = FileManager.default.contents(atPath: path(external.model)) else {
                throw HarnessError(
                    .missingFile, file: path(external.model),
                    "external variant \"\(external.name)\" of \(entry.model): no such file")
            }
            f.addBytes(data)
        }
        return f.finalize()
    }

    /// The record stage's last step: the row's kind, samples, tallies and the metrics computed from them.
    func fill(_ row: inout ResultRow, _ outcome: CardEvaluation.Outcome, reference: CardEvaluation.Outcome)
        throws
    {
        switch (outcome, reference) {
        case (.classification(let c), .classification(let r)):
            row.kind = .classification
            row.samples = c.count
            row.fingerprint = c.fingerprint
            row.counts = Counts.classification(c, reference: r)
            row.outcomes = SampleOutcomes.encode(zip(c.predictions, c.labels).map { $0 == $1 })
        case (.perplexity(let p), .perplexity(let r)):
            row.kind = .perplexity
            row.samples = p.windows
            row.counts = Counts.perplexity(p, reference: r)
            row.windowLoss = p.windowNLL.map(Counts.fixed)
        case (.predictions(let top1), .predictions(let ref)):
            row.kind = .agreement
            row.samples = top1.count
            row.counts = ["n": Int64(top1.count), "agree": Int64(zip(top1, ref).filter { $0 == $1 }.count)]
            row.outcomes = SampleOutcomes.encode(zip(top1, ref).map { $0 == $1 })
        default:
            throw HarnessError(.evaluation, file: row.folder, "the variant's evaluation differs in kind from FP32's")
        }
        for (k, v) in Counts.metrics(kind: row.kind, row.counts) { row.metrics[k] = v }
    }
}
