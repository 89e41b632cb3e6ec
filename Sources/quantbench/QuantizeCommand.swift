import ArgumentParser
import Foundation
import QBEngine
import QBHarness
import QBIngest
import QBMetrics
import QBQuant

/// `quantbench quantize MODEL_FOLDER --variant V`: quantizes a model with one variant of the table on its
/// card's calibration set and writes the `.qbqm` file (the bytes the reports count); `quantbench infer`
/// runs such a file.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract:
            "Quantize a model folder with one variant and write its .qbqm file (atomically); prints its layers and "
            + "size."
    )

    @Argument(help: "The model folder (model.onnx + card.json with a calibration set).")
    var model: String

    @OptionGroup var variantOptions: VariantOptions
    var variant: String { variantOptions.variant }

    @Option(help: "Calibration samples (windows for a language model).")
    var calibration: Int = 256

    @Option(help: "The output file (default: <variant>.qbqm in the current folder).")
    var output: String?

    @OptionGroup var rootOptions: RootOptions
    var root: String { rootOptions.root }

    @OptionGroup var threadOptions: ThreadOptions
    var threads: Int { threadOptions.threads }

    @OptionGroup var isaOptions: ISAOptions

    func run() throws {
        isaOptions.apply()
        try CLI.guarded {
            let def = variantOptions.definition
            let session = try Session(modelPath: model + "/model.onnx", options: SessionOptions(threads: threads))
            let (feeds, dataset) = try CalibrationSet.feeds(
                folder: model, root: root, samples: calibration, input: session.inputs[0].name, threads: threads)
            let builder = VariantBuilder(threads: threads, cacheFolder: root + "/.cache/quantbench", log: { print($0) })
            let input = session.inputs[0].name
            let q = try builder.build(def, reference: session, modelFile: model + "/model.onnx", calibration: feeds) {
                n in
                try CalibrationSet.feeds(folder: model, root: root, samples: n, input: input, threads: threads).feeds
            }.model
            let bytes = try ModelFile.encode(q, method: variant)
            let path = output ?? "\(variant).qbqm"
            try AtomicFile.write(Data(bytes), to: path)
            let fp32 =
                ((try? FileManager.default.attributesOfItem(atPath: model + "/model.onnx"))?[.size] as? NSNumber)?
                .intValue ?? 0
            print("\(variant): \(def.summary)")
            print(
                "calibrated on \(calibration) samples of \(dataset) in "
                    + "\(String(format: "%.2f", q.calibrationSeconds)) s"
            )
            for l in q.layers {
                print("  \(l.name) (\(l.op)): \(l.weights) weights -> \(l.payloadBytes) bytes; \(l.detail)")
            }
            let bitsPerWeight = Double((q.payloadBytes + q.compensationBytes) * 8) / Double(max(q.quantizedWeights, 1))
            print(
                "wrote \(path): \(bytes.count) bytes (FP32 ONNX \(fp32) bytes, "
                    + "\(String(format: "%.2f", Double(fp32) / Double(bytes.count)))x; "
                    + "\(String(format: "%.2f", bitsPerWeight)) bits per quantized weight)"
            )
        }
    }
}
