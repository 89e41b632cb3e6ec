import Foundation
import QBEngine
import QBIngest
import QBMetrics
import QBQuant

extension ModelEntryRun {
    /// An external variant (an ONNX file quantized elsewhere): run by the engine on the card's evaluation set like
    /// every other variant, with its size from the file's bytes, the share of it that is quantized, and (when the
    /// run measures speed) FP32's end-to-end time over its own on one calibration input.
    func runExternal(_ external: Suite.ExternalVariant, start: Date) throws -> ResultRow {
        let file = runner.path(external.model)
        guard let bytes = FileManager.default.contents(atPath: file) else {
            throw HarnessError(
                .missingFile, file: file, "external variant \"\(external.name)\" of \(plan.entry.model): no such file")
        }
        let graph = try ModelLoader.load(file, limits: runner.options.limits)
        let session = try Session(graph: graph, options: runner.options)
        let expected = reference.inputs.map(\.name).sorted(), given = session.inputs.map(\.name).sorted()
        guard expected == given else {
            throw HarnessError(
                .badVariant, file: file,
                "external variant \"\(external.name)\" takes inputs \(given), the model \(plan.entry.model) takes "
                    + "\(expected)")
        }
        let outcome = try CardEvaluation.run(
            folder: plan.folder, root: runner.root, options: runner.options, from: plan.first, limit: plan.limit,
            session: session, dataset: plan.entry.dataset,
            progress: runner.progress?("\(plan.card.name) \(external.name)"))
        var row = ResultRow(
            model: plan.card.name, folder: plan.entry.model, dataset: plan.entry.dataset ?? plan.card.eval.dataset,
            variant: external.name, kind: .agreement, samples: 0, fingerprint: nil, metrics: [:],
            seconds: Date().timeIntervalSince(start))
        row.metrics[MetricKind.modelBytes.rawValue] = Double(bytes.count)
        row.metrics[MetricKind.compression.rawValue] = Double(fp32Bytes) / Double(max(bytes.count, 1))
        let feed = try calibrationFeeds()[0]
        // The share is read from the graph as written (the rewrites fold DequantizeLinear of constant codes).
        let asWritten = try Session(
            graph: graph, options: SessionOptions(optimize: false, threads: runner.options.threads))
        let share = try QuantizedShare.ofExternal(session: asWritten, feed: feed)
        row.metrics[MetricKind.quantizedWeights.rawValue] = share.weights
        row.metrics[MetricKind.quantizedMACs.rawValue] = share.macs
        if runner.measureKernels {
            // Alternated runs of both (medians), as the layer timings are measured.
            let (fp32Time, variantTime) = try LayerTiming.interleavedMedians(
                { _ = try self.reference.run(feed) }, { _ = try session.run(feed) })
            row.metrics[MetricKind.modelSpeedup.rawValue] = fp32Time / variantTime
        }
        let digest = SHA256Hex.of(bytes)
        row.source =
            "`\(external.model)` (\(bytes.count) bytes, sha256 `\(digest.prefix(16))...`)"
            + (external.note.map { ": \($0)" } ?? "")
        if plan.sharded { row.range = [plan.first, plan.limit ?? plan.first, plan.total] }
        try runner.fill(&row, outcome, reference: fp32Outcome())
        return row
    }
}
