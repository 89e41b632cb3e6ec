import Foundation
import QBEngine
import QBIngest
import QBMetrics

extension ModelInit {
    /// The task from the model's input and the data: an int64 [batch, sequence] input and a text file is a language
    /// model; a float [batch, channels, height, width] input and images is classification when the data are
    /// labeled (an IDX pair, or class folders) and agreement with FP32 otherwise. `--task` must agree with both.
    func inferTask(input: ValueInfo, shape: [Dim]) throws -> Task {
        var isFolder: ObjCBool = false
        FileManager.default.fileExists(atPath: data, isDirectory: &isFolder)
        let isText = !isFolder.boolValue && (data.hasSuffix(".txt") || data.hasSuffix(".text"))
        if input.type.map({ !$0.isFloat }) == true {
            guard shape.count == 2, isText, task == nil || task == .lm else {
                throw fail(
                    "input '\(input.name)' is \(input.type.map { "\($0)" } ?? "?")\(shape): an integer [batch, "
                        + "sequence] input is read as a byte-level language model, which needs --data FILE.txt "
                        + "(got \(data))\(task.map { " and --task lm, not \($0.rawValue)" } ?? "")")
            }
            return .lm
        }
        guard shape.count == 4 else {
            throw fail(
                "cannot infer the task: input '\(input.name)' is \(shape); init reads float [batch, channels, height, "
                    + "width] image models and int64 [batch, sequence] language models")
        }
        guard !isText else { throw fail("an image model needs images (a folder or an IDX file), not \(data)") }
        let labeled = try labeledImages() != nil
        switch task {
        case .lm?: throw fail("--task lm needs an int64 [batch, sequence] input; '\(input.name)' is \(shape)")
        case .classification? where !labeled:
            throw fail(
                "--task classification needs labeled images (class folders, or an IDX images file with its labels "
                    + "file); \(data) holds unlabeled images: use --task agreement")
        case .classification?, .agreement?: return task!
        case nil: return labeled ? .classification : .agreement
        }
    }

    /// The labeled image set at `data`, or nil when the images are not labeled (a flat folder of files).
    func labeledImages() throws -> ImageDataset? {
        if let labels = ImageDataset.idxLabelsPath(forImages: data) {
            return try ImageDataset.idx(images: data, labels: labels)
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: data)) ?? []
        let hasClassFolders = entries.contains { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: data + "/" + name, isDirectory: &d)
                && d.boolValue
        }
        return hasClassFolders ? try ImageDataset.imageFolder(data) : nil
    }

    /// The preprocessing for an image input [batch, channels, height, width]: the named preset, the custom settings,
    /// or (neither given) pixel / 255 at the input's size; refused when it does not produce the input's shape.
    func imagePreprocessing(shape: [Dim]) throws -> Preprocessing {
        let channels = shape[1].value, height = shape[2].value, width = shape[3].value
        var settings: Preprocessing
        if let preset {
            guard let named = Preprocessing.presets[preset] else {
                throw fail(
                    "unknown preset \(preset) (known: \(Preprocessing.presets.keys.sorted().joined(separator: ", ")), "
                        + "none)")
            }
            settings = named
        } else if let custom {
            settings = custom
        } else {
            guard let size = height, height == width, let channels, channels == 1 || channels == 3 else {
                throw fail(
                    "input \(shape) has no fixed square size and 1 or 3 channels to derive preprocessing from: give "
                        + "--size, --channels, --mean and --std (or --preset)")
            }
            settings = Preprocessing(
                name: "custom", size: size, cropFraction: 1, channels: channels,
                mean: Array(repeating: 0, count: channels), std: Array(repeating: 1, count: channels))
        }
        try settings.validate(file: model)
        if let channels, channels != settings.channels {
            throw fail(
                "the data do not fit the input: preprocessing '\(settings.name)' gives \(settings.channels) "
                    + "channel(s), "
                    + "the model takes \(channels) (\(shape))")
        }
        for (dim, label) in [(height, "height"), (width, "width")] where dim != nil && dim != settings.size {
            throw fail(
                "the data do not fit the input: preprocessing '\(settings.name)' gives \(settings.size) x "
                    + "\(settings.size) images, the model's \(label) is \(dim!) (\(shape))")
        }
        return settings
    }

    /// Writes atomically (`AtomicFile`: its errors name the file).
    func write(_ data: Data, to path: String) throws { try AtomicFile.write(data, to: path) }

    func writeJSON(_ object: Any, to path: String) throws {
        let data = try JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try write(data + Data("\n".utf8), to: path)
    }
}
