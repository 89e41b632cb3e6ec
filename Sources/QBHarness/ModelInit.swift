import Foundation
import QBEngine
import QBIngest
import QBMetrics

/// `quantbench init`: brings a model that is not in the zoo into the suite without hand-written JSON. It inspects
/// the graph's inputs and outputs, infers the task from them and from the data, checks that the data fit the input,
/// writes the model folder (model.onnx and card.json with sha256, bytes, opset, preprocessing and the FP32 figure
/// the engine measures) and a suite for it.
public struct ModelInit {
    public enum Task: String, CaseIterable, Sendable {
        case classification, lm, agreement
    }

    public var model: String
    public var data: String
    public var calibration: String?
    /// A named preset (imagenet, fmnist), or nil for `custom` (or for settings derived from the input).
    public var preset: String?
    public var custom: Preprocessing?
    public var task: Task?
    public var name: String
    /// The model folder to write, and the suite file.
    public var folder: String
    public var suiteFile: String
    /// The project folder: paths inside it are written relative to it.
    public var root: String
    public var threads: Int = 1

    public init(
        model: String, data: String, calibration: String?, preset: String?, custom: Preprocessing?, task: Task?,
        name: String, folder: String, suiteFile: String, root: String
    ) {
        self.model = model
        self.data = data
        self.calibration = calibration
        self.preset = preset
        self.custom = custom
        self.task = task
        self.name = name
        self.folder = folder
        self.suiteFile = suiteFile
        self.root = root
    }

    /// What `run` wrote and measured.
    public struct Outcome: Sendable {
        public var card: String
        public var suite: String
        public var task: Task
        public var fp32: String
    }

    func fail(_ reason: String) -> HarnessError { HarnessError(.cannotInitialize, file: model, reason) }

    /// A path as the card and suite record it: relative to `root` when inside it, else absolute.
    func recorded(_ path: String) -> String {
        let full = URL(fileURLWithPath: path).standardized.path
        let base = URL(fileURLWithPath: root).standardized.path + "/"
        return full.hasPrefix(base) ? String(full.dropFirst(base.count)) : full
    }

    public func run() throws -> Outcome {
        guard let bytes = FileManager.default.contents(atPath: model) else {
            throw HarnessError(.missingFile, file: model, "no such model file")
        }
        let graph = try ModelLoader.load(model)
        guard FileManager.default.fileExists(atPath: data) else {
            throw HarnessError(.missingFile, file: data, "no such data set (--data)")
        }
        if let calibration, !FileManager.default.fileExists(atPath: calibration) {
            throw HarnessError(.missingFile, file: calibration, "no such calibration set (--calibration)")
        }
        guard graph.inputs.count == 1, let input = graph.inputs.first, let shape = input.shape else {
            throw fail(
                "the model takes \(graph.inputs.count) inputs (\(graph.inputs.map(\.name).joined(separator: ", "))); "
                    + "init handles one input of known rank: write the card by hand (README, \"The model zoo\")")
        }
        var eval: [String: Any] = [:]
        let task = try inferTask(input: input, shape: shape)
        switch task {
        case .lm:
            eval = ["kind": "perplexity", "dataset": recorded(data), "window": 128]
        case .classification, .agreement:
            let preprocessing = try imagePreprocessing(shape: shape)
            eval = [
                "kind": task == .classification ? "image-classification" : "image-agreement", "dataset": recorded(data),
            ]
            if let preset {
                eval["preset"] = preset
            } else {
                let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(preprocessing))
                eval["preprocessing"] = encoded
            }
        }
        let digest = SHA256Hex.of(bytes)
        var card: [String: Any] = [
            "name": name,
            "task": task == .lm ? "language model (perplexity)" : "image classification",
            "parameters": graph.initializers.values.filter { $0.type.isFloat && $0.rank >= 1 }.reduce(0) {
                $0 + $1.count
            },
            "source": ["file": URL(fileURLWithPath: model).standardized.path, "sha256": digest, "bytes": bytes.count],
            "onnx": ["file": "model.onnx", "sha256": digest, "bytes": bytes.count, "opset": graph.opset],
            "input": [
                "name": input.name, "shape": shape.map { $0.value.map { $0 as Any } ?? ($0.description as Any) },
            ],
            "eval": eval,
            "license": "unknown: fill in the model's license",
            "note": "written by quantbench init; check the preprocessing against the model's documentation",
        ]
        if let calibration { card["calibration"] = ["dataset": recorded(calibration)] }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let target = folder + "/model.onnx"
        if URL(fileURLWithPath: target).standardized.path != URL(fileURLWithPath: model).standardized.path {
            try write(bytes, to: target)
        }
        try writeJSON(card, to: folder + "/card.json")
        // The FP32 figure, measured by the engine on the data as the card reads it.
        let outcome = try CardEvaluation.run(
            folder: folder, root: root, options: SessionOptions(threads: threads))
        let fp32: String
        switch outcome {
        case .classification(let c):
            let correct = c.correct
            card["fp32"] = [
                "quantbench": [
                    "top1_correct": correct, "count": c.count, "top1": Double(correct) / Double(max(c.count, 1)),
                ]
            ]
            fp32 = String(
                format: "top-1 %.2f%% (%d of %d)", 100 * Double(correct) / Double(max(c.count, 1)), correct, c.count)
        case .perplexity(let p):
            card["fp32"] = ["quantbench": ["perplexity": p.perplexity, "windows": p.windows]]
            fp32 = String(format: "perplexity %.4f over %d windows", p.perplexity, p.windows)
        case .predictions(let top1):
            card["fp32"] = ["quantbench": ["samples": top1.count]]
            fp32 = "\(top1.count) predictions (agreement with FP32 is measured per variant)"
        }
        try writeJSON(card, to: folder + "/card.json")
        let variants = calibration == nil ? ["fp32"] : ["fp32", "int8", "int8-pct", "w8", "w4a8", "fgq-n4", "pow2-5"]
        let suite: [String: Any] = [
            "name": URL(fileURLWithPath: suiteFile).deletingPathExtension().lastPathComponent,
            "description": "\(name), written by quantbench init",
            "models": [["model": recorded(folder), "variants": variants, "calibration": 256]],
        ]
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: suiteFile).deletingLastPathComponent().path, withIntermediateDirectories: true)
        try writeJSON(suite, to: suiteFile)
        return Outcome(card: folder + "/card.json", suite: suiteFile, task: task, fp32: fp32)
    }
}
