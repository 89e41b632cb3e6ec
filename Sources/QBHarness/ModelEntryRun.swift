import Foundation
import QBEngine
import QBMetrics
import QBQuant

/// One model entry of a suite run: FP32 first (the reference), then each variant through the stages calibrate
/// (once per entry), build (`VariantBuilder`), measure (per-layer SQNR and kernel timing), evaluate (the card's
/// evaluation set, this run's sample range) and record (the result row).
final class ModelEntryRun {
    let runner: SuiteRunner
    let plan: SuiteRunner.EntryPlan
    let reference: Session
    /// Bytes of the FP32 ONNX file (the compression ratio's numerator).
    let fp32Bytes: Int
    private var calibration: [[String: Value]]? = nil
    private var qwtFeeds: (count: Int, feeds: [[String: Value]])? = nil
    private var fp32: CardEvaluation.Outcome? = nil
    /// The reference's weights and products (one run), shared by the variants' quantized shares.
    private var referenceCensus: Census? = nil

    /// FP32's evaluation (run first).
    func fp32Outcome() throws -> CardEvaluation.Outcome {
        guard let fp32 else { throw HarnessError(.evaluation, file: plan.folder, "FP32 was not evaluated first") }
        return fp32
    }
    /// Variants sharing a layer's kernel share its timing.
    private let timingCache = LayerTiming.Cache()

    /// A variant as built and measured: its model, the session that runs it, and its measurements.
    struct BuiltVariant {
        var model: QuantizedModel
        var session: Session
        var sqnr: [String: Double]
        var speed: LayerTiming.Result?
        var mixed: MixedReport?
    }

    init(runner: SuiteRunner, plan: SuiteRunner.EntryPlan) throws {
        self.runner = runner
        self.plan = plan
        let modelFile = plan.folder + "/model.onnx"
        let graph = try ModelLoader.load(modelFile, limits: runner.options.limits)
        fp32Bytes = ((try? FileManager.default.attributesOfItem(atPath: modelFile))?[.size] as? NSNumber)?.intValue ?? 0
        reference = try Session(graph: graph, options: runner.options)
        for notice in graph.notices { runner.log(notice) }
    }

    private var name: String { plan.card.name }

    /// The rows of the entry's listed variants, in order (FP32 is always evaluated: the others compare with it).
    func run() throws -> [ResultRow] {
        var rows = [ResultRow]()
        for variantName in (["fp32"] + plan.entry.variants.filter { $0 != "fp32" }) {
            runner.log("\(name): \(variantName)")
            let start = Date()
            if let external = plan.entry.externalVariant(variantName) {
                rows.append(try runExternal(external, start: start))
                continue
            }
            let variant = try self.variant(named: variantName)
            let built = variant.isQuantized ? try build(variant, named: variantName) : nil
            // The evaluation's own operations: calibration, SQNR and the timing runs (whose count depends on a time
            // budget and on the timing cache) also go through the layers.
            let countsBefore = built?.model.counts ?? OpCounts()
            let outcome = try CardEvaluation.run(
                folder: plan.folder, root: runner.root, options: runner.options, from: plan.first, limit: plan.limit,
                session: built?.session ?? reference, dataset: plan.entry.dataset,
                progress: runner.progress?("\(name) \(variantName)"))
            if variantName == "fp32" { fp32 = outcome }
            guard plan.entry.variants.contains(variantName) else { continue }
            rows.append(
                try record(
                    variant, named: variantName, built: built, outcome: outcome, countsBefore: countsBefore,
                    seconds: Date().timeIntervalSince(start)))
        }
        return rows
    }

    /// The variant from the table, with the entry's QwT settings applied.
    private func variant(named variantName: String) throws -> VariantDef {
        guard var variant = Variants.named(variantName) else {
            throw HarnessError(.badVariant, file: plan.folder, "unknown variant \(variantName)")
        }
        if variant.qwt != nil {
            if let samples = plan.entry.qwtSamples { variant.qwt!.samples = samples }
            if let blocks = plan.entry.qwtBlocks { variant.qwt!.blocks = blocks }
        }
        return variant
    }

    /// The first `count` samples of the card's calibration set as feeds for the model's input.
    private func calibrationSamples(_ count: Int) throws -> [[String: Value]] {
        try CalibrationSet.feeds(
            folder: plan.folder, root: runner.root, samples: count, input: reference.inputs[0].name,
            threads: runner.options.threads
        ).feeds
    }

    /// The calibrate stage: the card's calibration set, read once per entry.
    func calibrationFeeds() throws -> [[String: Value]] {
        if let calibration { return calibration }
        let samples = plan.entry.calibration ?? 256
        let feeds = try calibrationSamples(samples)
        runner.log("\(name): calibration on \(samples) samples of \(plan.card.calibration?.dataset ?? "?")")
        calibration = feeds
        return feeds
    }

    /// QwT's fitting samples (`count` of the calibration set), read once per count.
    private func qwtSamples(_ count: Int) throws -> [[String: Value]] {
        if let qwtFeeds, qwtFeeds.count == count { return qwtFeeds.feeds }
        let feeds = try calibrationSamples(count)
        qwtFeeds = (count, feeds)
        return feeds
    }

    /// The build and measure stages: the quantized model, its session, per-layer SQNR and kernel timing.
    private func build(_ variant: VariantDef, named variantName: String) throws -> BuiltVariant {
        let calibration = try calibrationFeeds()
        var builder = VariantBuilder(
            threads: runner.options.threads, cacheFolder: runner.cacheFolder,
            log: { [runner, name] in runner.log("\(name) \(variantName): \($0)") })
        builder.prepared = runner.preparedFolder.map(PreparedVariants.init)
        let built = try builder.build(
            variant, reference: reference, modelFile: plan.folder + "/model.onnx", calibration: calibration,
            qwtFeeds: qwtSamples)
        let session = try Session(
            graph: built.model.graph, options: SessionOptions(optimize: false, threads: runner.options.threads))
        let sqnr = try Quantizer.layerSQNR(
            reference: reference, quantized: session, outputs: LayerSpec.find(in: reference.graph).map(\.output),
            feeds: calibration)
        let speed =
            runner.measureKernels
            ? try LayerTiming.measure(
                built.model, reference: reference.graph, feed: calibration[0], threads: runner.options.threads,
                cache: timingCache)
            : nil
        return BuiltVariant(model: built.model, session: session, sqnr: sqnr, speed: speed, mixed: built.mixed)
    }

    /// The prepare stage (`quantbench prepare`): every quantized variant of the entry built and written to the
    /// runner's prepared folder, nothing evaluated. Returns the number of variants written.
    func prepare() throws -> Int {
        guard let folder = runner.preparedFolder else { return 0 }
        var written = 0
        for variantName in plan.entry.variants where plan.entry.externalVariant(variantName) == nil {
            let variant = try self.variant(named: variantName)
            guard variant.isQuantized else { continue }
            runner.log("\(name): \(variantName)")
            var builder = VariantBuilder(
                threads: runner.options.threads, cacheFolder: runner.cacheFolder,
                log: { [runner, name] in runner.log("\(name) \(variantName): \($0)") })
            builder.prepared = PreparedVariants(folder: folder)
            builder.writePrepared = true
            _ = try builder.build(
                variant, reference: reference, modelFile: plan.folder + "/model.onnx",
                calibration: try calibrationFeeds(), qwtFeeds: qwtSamples)
            written += 1
        }
        return written
    }

    /// The record stage: the row with its size, speed, layer facts and the metrics of its evaluation.
    private func record(
        _ variant: VariantDef, named variantName: String, built: BuiltVariant?, outcome: CardEvaluation.Outcome,
        countsBefore: OpCounts, seconds: Double
    ) throws -> ResultRow {
        var row = ResultRow(
            model: name, folder: plan.entry.model, dataset: plan.entry.dataset ?? plan.card.eval.dataset,
            variant: variantName, kind: .agreement, samples: 0, fingerprint: nil, metrics: [:], seconds: seconds)
        row.metrics["bits_per_weight"] = variant.bitsPerWeight
        row.metrics["model_bytes"] = Double(fp32Bytes)
        if let built {
            let q = built.model
            let file = try ModelFile.encode(q, method: variantName)
            row.metrics["model_bytes"] = Double(file.count)
            row.metrics["compression"] = Double(fp32Bytes) / Double(file.count)
            row.metrics["bits_per_weight"] =
                Double((q.payloadBytes + q.compensationBytes) * 8) / Double(max(q.quantizedWeights, 1))
            row.metrics["calibration_seconds"] = q.calibrationSeconds
            if let speed = built.speed {
                row.metrics["kernel_gops"] = speed.gops
                row.metrics["kernel_speedup"] = speed.speedup
            }
            let ops = q.counts - countsBefore
            if ops.macs > 0 { row.metrics["mults_eliminated"] = 1 - Double(ops.multiplies) / Double(ops.macs) }
            row.layers = q.layers.map { layer in
                var layer = layer
                // nil: not measured, or identical to FP32
                layer.sqnr = built.sqnr[layer.output].flatMap { $0.isFinite ? $0 : nil }
                return layer
            }
            if variant.qwt != nil { row.blocks = q.blocks }
            let census = try referenceCensus ?? Census(session: reference, feed: try calibrationFeeds()[0])
            referenceCensus = census
            let share = QuantizedShare.ofVariant(
                census: census, quantizedOutputs: Set(q.layers.map(\.output)), quantizedWeights: q.quantizedWeights)
            row.metrics[MetricKind.quantizedWeights.rawValue] = share.weights
            row.metrics[MetricKind.quantizedMACs.rawValue] = share.macs
            row.mixed = built.mixed
        } else {
            row.metrics["compression"] = 1
        }
        if plan.sharded { row.range = [plan.first, plan.limit ?? plan.first, plan.total] }
        try runner.fill(&row, outcome, reference: fp32!)
        return row
    }
}
