import ArgumentParser
import Foundation
import QBEngine
import QBHarness
import QBMetrics
import QBQuant

extension BenchCommand {
    /// `quantbench bench layers MODEL_FOLDER --variant int8`: every quantized layer of a model on its real
    /// input (one calibration batch), the whole layer (input quantization, patches, integer kernel, epilogue)
    /// against the same layer in FP32, with the geometry a peer needs to build the same operator
    /// (scripts/bench_layers.py runs onnxruntime's Conv/QLinearConv and MatMul/QLinearMatMul beside it).
    struct Layers: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Each quantized layer of a model vs the same layer in FP32 on its real input: median seconds, as JSON "
                + "lines."
        )

        @Argument(help: "The model folder (model.onnx + card.json with a calibration set).")
        var model: String

        @OptionGroup var variantOptions: VariantOptions
        var variant: String { variantOptions.variant }

        @Option(help: "Samples in the input batch (and in the calibration).")
        var batch: Int = 64
        @OptionGroup var benchmark: BenchmarkOptions
        var threads: Int { benchmark.threads }
        var reps: Int { benchmark.reps }
        var root: String { benchmark.root }

        func run() throws {
            benchmark.isaOptions.apply()
            try CLI.guarded {
                let def = variantOptions.definition
                guard batch > 0 else {
                    throw ValidationError("--batch must be positive")
                }
                let session = try Session(modelPath: model + "/model.onnx", options: SessionOptions(threads: threads))
                let input = session.inputs[0].name
                let feeds = try CalibrationSet.feeds(
                    folder: model, root: root, samples: batch, input: input, threads: threads
                ).feeds
                let builder = VariantBuilder(
                    threads: threads, cacheFolder: root + "/.cache/quantbench",
                    log: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
                let q = try builder.build(def, reference: session, modelFile: model + "/model.onnx", calibration: feeds)
                { n in
                    try CalibrationSet.feeds(folder: model, root: root, samples: n, input: input, threads: threads)
                        .feeds
                }.model
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                for layer in try LayerTiming.layers(
                    q, reference: session.graph, feed: feeds[0], threads: threads, reps: reps)
                {
                    print(
                        String(
                            decoding: try encoder.encode(
                                Row(
                                    model: URL(fileURLWithPath: model).lastPathComponent, variant: variant,
                                    threads: threads, layer: layer)), as: UTF8.self))
                }
            }
        }

        struct Row: Encodable {
            var tool = "quantbench"
            let model: String
            let variant: String
            let threads: Int
            let layer: LayerTiming.Layer
        }
    }
}
