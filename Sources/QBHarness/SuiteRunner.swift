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
    /// (k from 0); `SuiteResults.merge` adds the shards' rows back up exactly.
    public func run(_ suite: Suite, shard: (index: Int, count: Int)? = nil) throws -> SuiteResults {
        var rows = [ResultRow]()
        for (entryIndex, entry) in suite.models.enumerated() {
            let folder = entry.model.hasPrefix("/") ? entry.model : root + "/" + entry.model
            let card = try ModelCard.load(folder)
            var first = 0, limit = entry.limit, total = 0
            if let shard {
                total = min(
                    entry.limit ?? Int.max,
                    try CardEvaluation.sampleCount(folder: folder, root: root, dataset: entry.dataset))
                first = total * shard.index / shard.count
                limit = total * (shard.index + 1) / shard.count
            }
            // A finished part of an interrupted run with the same model, card, variants and range is reused.
            let partKey = try self.partKey(suite: suite, entry: entry, folder: folder, first: first, limit: limit)
            let partPath = partsFolder.map { $0 + "/part-\(entryIndex).json" }
            if let partPath, let data = FileManager.default.contents(atPath: partPath),
                let part = try? JSONDecoder().decode(Part.self, from: data), part.key == partKey
            {
                log("\(card.name): resumed from \(partPath)")
                rows += part.rows
                continue
            }
            var entryRows = [ResultRow]()
            let graph = try ModelLoader.load(folder + "/model.onnx", limits: options.limits)
            let bytes =
                ((try? FileManager.default.attributesOfItem(atPath: folder + "/model.onnx"))?[.size] as? NSNumber)?
                .intValue ?? 0
            let reference = try Session(graph: graph, options: options)
            var calibration: [[String: Value]]? = nil
            var fp32: CardEvaluation.Outcome? = nil
            var qwtFeeds: (count: Int, feeds: [[String: Value]])? = nil
            let timingCache = LayerTiming.Cache()  // variants sharing a layer's kernel share its timing
            for name in (["fp32"] + entry.variants.filter { $0 != "fp32" }) {
                guard var variant = Variants.named(name) else {
                    throw HarnessError(.badVariant, file: folder, "unknown variant \(name)")
                }
                if variant.qwt != nil {
                    if let n = entry.qwtSamples { variant.qwt!.samples = n }
                    if let b = entry.qwtBlocks { variant.qwt!.blocks = b }
                }
                log("\(card.name): \(name)")
                let start = Date()
                var session = reference
                var quantized: QuantizedModel? = nil
                var sqnr = [String: Double]()
                var speed: LayerTiming.Result? = nil
                var mixed: MixedReport? = nil
                if variant.isQuantized {
                    if calibration == nil {
                        let samples = entry.calibration ?? 256
                        calibration = try CalibrationSet.feeds(
                            folder: folder, root: root, samples: samples, input: reference.inputs[0].name,
                            threads: options.threads
                        ).feeds
                        log("\(card.name): calibration on \(samples) samples of \(card.calibration?.dataset ?? "?")")
                    }
                    let builder = VariantBuilder(
                        threads: options.threads, cacheFolder: cacheFolder,
                        log: { self.log("\(card.name) \(name): \($0)") })
                    let built = try builder.build(
                        variant, reference: reference, modelFile: folder + "/model.onnx", calibration: calibration!
                    ) { n in
                        if qwtFeeds?.count != n {
                            qwtFeeds = (
                                n,
                                try CalibrationSet.feeds(
                                    folder: folder, root: self.root, samples: n, input: reference.inputs[0].name,
                                    threads: self.options.threads
                                ).feeds
                            )
                        }
                        return qwtFeeds!.feeds
                    }
                    let q = built.model
                    mixed = built.mixed
                    session = try Session(
                        graph: q.graph, options: SessionOptions(optimize: false, threads: options.threads))
                    sqnr = try Quantizer.layerSQNR(
                        reference: reference, quantized: session,
                        outputs: LayerSpec.find(in: reference.graph).map(\.output),
                        feeds: calibration!)
                    quantized = q
                    if measureKernels {
                        speed = try LayerTiming.measure(
                            q, reference: reference.graph, feed: calibration![0], threads: options.threads,
                            cache: timingCache)
                    }
                }
                // The evaluation's own operations: calibration, SQNR and the timing runs (whose count depends on a
                // time budget
                // and on the timing cache) also go through the layers.
                let countsBefore = quantized?.counts ?? OpCounts()
                let outcome = try CardEvaluation.run(
                    folder: folder, root: root, options: options, from: first, limit: limit, session: session,
                    dataset: entry.dataset, progress: progress?("\(card.name) \(name)"))
                if name == "fp32" { fp32 = outcome }
                guard entry.variants.contains(name) else { continue }
                var row = ResultRow(
                    model: card.name, folder: entry.model, dataset: entry.dataset ?? card.eval.dataset, variant: name,
                    kind: .agreement,
                    samples: 0, fingerprint: nil, metrics: [:], seconds: Date().timeIntervalSince(start))
                row.metrics["bits_per_weight"] = variant.bitsPerWeight
                row.metrics["model_bytes"] = Double(bytes)
                if let q = quantized {
                    let file = try ModelFile.encode(q, method: name)
                    row.metrics["model_bytes"] = Double(file.count)
                    row.metrics["compression"] = Double(bytes) / Double(file.count)
                    row.metrics["bits_per_weight"] =
                        Double((q.payloadBytes + q.compensationBytes) * 8) / Double(max(q.quantizedWeights, 1))
                    row.metrics["calibration_seconds"] = q.calibrationSeconds
                    if let speed {
                        row.metrics["kernel_gops"] = speed.gops
                        row.metrics["kernel_speedup"] = speed.speedup
                    }
                    let ops = q.counts - countsBefore
                    if ops.macs > 0 { row.metrics["mults_eliminated"] = 1 - Double(ops.multiplies) / Double(ops.macs) }
                    row.layers = q.layers.map { l in
                        var l = l
                        // nil: not measured, or identical to FP32
                        l.sqnr = sqnr[l.output].flatMap { $0.isFinite ? $0 : nil }
                        return l
                    }
                    if variant.qwt != nil { row.blocks = q.blocks }
                    row.mixed = mixed
                } else {
                    row.metrics["compression"] = 1
                }
                if shard != nil { row.range = [first, limit ?? first, total] }
                try fill(&row, outcome, reference: fp32!)
                entryRows.append(row)
            }
            rows += entryRows
            if let partPath, let partsFolder {
                try FileManager.default.createDirectory(atPath: partsFolder, withIntermediateDirectories: true)
                try AtomicFile.write(try JSONEncoder().encode(Part(key: partKey, rows: entryRows)), to: partPath)
            }
        }
        return SuiteResults(suite: suite.name, environment: .current(avx2: GEMM.usesAVX2), rows: rows)
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
        }
        var f = Fingerprint(
            domain: "suite-part",
            settings: Settings(
                suite: suite.name, model: entry.model, variants: entry.variants, first: first, limit: limit,
                calibration: entry.calibration, dataset: entry.dataset, qwtSamples: entry.qwtSamples,
                qwtBlocks: entry.qwtBlocks))
        for file in ["/model.onnx", "/card.json"] {
            guard let data = FileManager.default.contents(atPath: folder + file) else {
                throw HarnessError(.missingFile, file: folder + file, "cannot be read")
            }
            f.addBytes(data)
        }
        return f.finalize()
    }

    private func fill(_ row: inout ResultRow, _ outcome: CardEvaluation.Outcome, reference: CardEvaluation.Outcome)
        throws
    {
        switch (outcome, reference) {
        case (.classification(let c), .classification(let r)):
            row.kind = .classification
            row.samples = c.count
            row.fingerprint = c.fingerprint
            row.counts = Counts.classification(c, reference: r)
        case (.perplexity(let p), .perplexity(let r)):
            row.kind = .perplexity
            row.samples = p.windows
            row.counts = Counts.perplexity(p, reference: r)
        case (.predictions(let top1), .predictions(let ref)):
            row.kind = .agreement
            row.samples = top1.count
            row.counts = ["n": Int64(top1.count), "agree": Int64(zip(top1, ref).filter { $0 == $1 }.count)]
        default:
            throw HarnessError(.evaluation, file: row.folder, "the variant's evaluation differs in kind from FP32's")
        }
        for (k, v) in Counts.metrics(kind: row.kind, row.counts) { row.metrics[k] = v }
    }
}
