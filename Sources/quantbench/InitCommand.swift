import ArgumentParser
import Foundation
import QBHarness
import QBIngest

/// `quantbench init MODEL.onnx --data PATH`: a model that is not in the zoo, brought into a suite without writing
/// JSON by hand (see `ModelInit`).
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a model folder (model.onnx + card.json) and a suite for an ONNX model and its data set.",
        discussion: """
            The task comes from the model's input and the data: a float [batch, channels, height, width] input with \
            labeled images (class folders, or an IDX images file beside its labels file) is classification, with a \
            flat folder of images agreement with FP32; an int64 [batch, sequence] input with a .txt file is a \
            byte-level language model. The FP32 figure is measured by the engine and written in the card. Prints \
            the command that runs the suite.
            """)

    @Argument(help: "The ONNX model.")
    var model: String

    @Option(help: "The evaluation set: an image folder, an IDX images file, or a .txt corpus.")
    var data: String

    @Option(help: "A calibration set read like --data and disjoint from it (needed for the quantized variants).")
    var calibration: String?

    @Option(help: "Image preprocessing: imagenet, fmnist, or none (use --size/--channels/--mean/--std).")
    var preset: String = "none"

    @Option(help: "Image side after resize and center crop (with --preset none).")
    var size: Int?

    @Option(help: "Channels, 1 or 3 (with --preset none).")
    var channels: Int?

    @Option(help: "Per-channel means after pixel / 255, comma-separated (with --preset none).")
    var mean: String?

    @Option(help: "Per-channel standard deviations, comma-separated (with --preset none).")
    var std: String?

    @Option(help: "Fraction of the resized image the center crop keeps, (0, 1] (with --preset none).")
    var crop: Double = 1

    @Option(help: "classification, lm or agreement (default: inferred from the model and the data).")
    var task: String?

    @Option(help: "The model's name (default: the file's name without .onnx).")
    var name: String?

    @Option(help: "The model folder to write (default: Models/<name> in the project folder).")
    var folder: String?

    @Option(help: "The suite file to write (default: Suites/<name>.json in the project folder).")
    var suite: String?

    @OptionGroup var rootOptions: RootOptions

    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        if let task, ModelInit.Task(rawValue: task) == nil {
            throw ValidationError("--task must be classification, lm or agreement, not \(task)")
        }
        if preset != "none" && (size != nil || channels != nil || mean != nil || std != nil) {
            throw ValidationError("--size, --channels, --mean and --std go with --preset none")
        }
    }

    /// The custom preprocessing from --size, --channels, --mean and --std (nil when none is given).
    func customPreprocessing() throws -> Preprocessing? {
        guard size != nil || channels != nil || mean != nil || std != nil else { return nil }
        guard let size, let mean, let std else {
            throw ValidationError("custom preprocessing needs --size, --mean and --std (and --channels, default 3)")
        }
        func numbers(_ text: String, _ option: String) throws -> [Float] {
            let values = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
                throw ValidationError("\(option) must be comma-separated numbers, not \(text)")
            }
            return values.map { $0! }
        }
        return Preprocessing(
            name: "custom", size: size, cropFraction: crop, channels: channels ?? 3, mean: try numbers(mean, "--mean"),
            std: try numbers(std, "--std"))
    }

    func run() throws {
        try CLI.guarded {
            let root = rootOptions.root
            let modelName = name ?? URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent
            var setup = ModelInit(
                model: model, data: data, calibration: calibration, preset: preset == "none" ? nil : preset,
                custom: try customPreprocessing(), task: task.flatMap(ModelInit.Task.init(rawValue:)), name: modelName,
                folder: folder ?? root + "/Models/" + modelName, suiteFile: suite ?? root + "/Suites/\(modelName).json",
                root: root)
            setup.threads = threadOptions.threads
            let outcome = try setup.run()
            print("wrote \(outcome.card) (task: \(outcome.task.rawValue); FP32 \(outcome.fp32))")
            print("wrote \(outcome.suite)")
            if calibration == nil {
                print("note: no --calibration set, so the suite runs FP32 only; add one to measure quantized variants")
            }
            print("run it with: quantbench run \(outcome.suite) --root \(root)")
            print("(the first run has no baseline and exits 4; record one from its results with quantbench baseline)")
        }
    }
}
