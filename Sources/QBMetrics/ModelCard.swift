import Foundation
import QBEngine
import QBIngest

/// A model's card (`card.json` beside its `model.onnx`): what it is, how it was made, and how to
/// evaluate it. `fp32` holds the figures the training script measured with PyTorch and onnxruntime.
public struct ModelCard: Decodable, Sendable {
    public struct Eval: Decodable, Sendable {
        /// image-classification, text-classification or perplexity.
        public var kind: String
        /// Relative to the project folder.
        public var dataset: String
        public var preset: String?
        public var text_column: String?
        public var label_column: String?
        public var classes: [String]?
        public var vocabulary: String?
        public var max_length: Int?
        public var window: Int?
        /// Image preprocessing given in full (`quantbench init --mean/--std/--size`) instead of a named `preset`.
        public var preprocessing: Preprocessing?

        /// The preprocessing of an image evaluation: `preprocessing`, else the named preset; `card` names the file.
        public func imagePreprocessing(card: String) throws -> Preprocessing {
            if let preprocessing {
                try preprocessing.validate(file: card)
                return preprocessing
            }
            guard let preset = Preprocessing.presets[preset ?? ""] else {
                throw EngineError(
                    .malformedModel, file: card,
                    "unknown preprocessing preset \(preset ?? "(none)") (known: "
                        + "\(Preprocessing.presets.keys.sorted().joined(separator: ", ")); or give \"preprocessing\")")
            }
            return preset
        }
    }

    /// A linear probe on a sentence encoder's embeddings: `argmax(W e + b)`.
    public struct Probe: Decodable, Sendable {
        public var weights: [[Float]]
        public var bias: [Float]
    }

    /// The set quantized variants calibrate on (relative to the project folder); meant to be disjoint from
    /// `eval` (the same path is refused; the cards and data cards say how each set was kept apart).
    public struct Calibration: Decodable, Sendable {
        public var dataset: String
    }

    public var name: String
    public var task: String
    public var calibration: Calibration?
    public var parameters: Int
    public var eval: Eval
    public var probe: Probe?

    /// A card's data path: relative to the project folder `root`, or absolute.
    public static func resolve(_ path: String, root: String) -> String {
        path.hasPrefix("/") ? path : root + "/" + path
    }

    /// Reads `folder/card.json`.
    public static func load(_ folder: String) throws -> ModelCard {
        let path = folder + "/card.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EngineError(.missingFile, file: path, "no model card")
        }
        do { return try JSONDecoder().decode(ModelCard.self, from: data) } catch {
            let problem = JSONLocator.decodingProblem(error, in: data)
            throw IngestError(.badJSON, file: path, line: problem.line, "bad model card: \(problem.reason)")
        }
    }
}

/// Evaluates a model folder (model.onnx + card.json) on its evaluation set with the reference engine.
public enum CardEvaluation {
    public enum Outcome: Sendable {
        case classification(ModelEvaluation.Classification)
        case perplexity(ModelEvaluation.Perplexity)
        /// Top-1 classes of unlabeled inputs (measured by agreement with FP32, not accuracy).
        case predictions([Int])
    }

    /// A labeled image set: an IDX images file (labels beside it) or an ImageFolder.
    static func labeledImages(_ path: String) throws -> ImageDataset {
        if let labels = ImageDataset.idxLabelsPath(forImages: path), !path.hasSuffix("/") {
            return try ImageDataset.idx(images: path, labels: labels)
        }
        return try ImageDataset.imageFolder(path)
    }

    /// The number of samples (perplexity: windows) of a card's evaluation set.
    public static func sampleCount(folder: String, root: String, dataset override: String? = nil) throws -> Int {
        let card = try ModelCard.load(folder)
        let dataset = ModelCard.resolve(override ?? card.eval.dataset, root: root)
        switch card.eval.kind {
        case "image-classification": return try labeledImages(dataset).samples.count
        case "image-agreement": return try ImageDataset.unlabeledFolder(dataset).samples.count
        case "text-classification", "text-probe":
            return try TextDataset.labeled(
                dataset, textColumn: card.eval.text_column ?? "text", labelColumn: card.eval.label_column ?? "label",
                declaredClasses: card.eval.classes
            ).samples.count
        case "perplexity": return try TextCorpus(files: [dataset]).text.utf8.count / (card.eval.window ?? 128)
        default:
            throw EngineError(.malformedModel, file: folder + "/card.json", "unknown evaluation kind \(card.eval.kind)")
        }
    }

    /// `root` is the project folder the card's paths are relative to; samples `first ..< limit` are
    /// evaluated (perplexity: windows; all when nil).
    /// `session` runs a given (e.g. quantized) form of the model instead of `model.onnx` as it is.
    /// `dataset` replaces the card's evaluation set (same kind and reading), e.g. the full set in a nightly suite.
    public static func run(
        folder: String, root: String, options: SessionOptions = SessionOptions(), from first: Int = 0,
        limit: Int? = nil,
        session given: Session? = nil, dataset override: String? = nil, progress: ((Int, Int) -> Void)? = nil
    ) throws -> Outcome {
        let card = try ModelCard.load(folder)
        let session = try given ?? Session(modelPath: folder + "/model.onnx", options: options)
        let dataset = ModelCard.resolve(override ?? card.eval.dataset, root: root)
        switch card.eval.kind {
        case "image-classification":
            let set = try labeledImages(dataset)
            let preset = try card.eval.imagePreprocessing(card: folder + "/card.json")
            let loader = try ImageSetLoader(preprocessing: preset, threads: options.threads)
            return .classification(
                try ModelEvaluation.images(
                    session, dataset: set, loader: loader, from: first, limit: limit, progress: progress))
        case "text-classification":
            let set = try TextDataset.labeled(
                dataset, textColumn: card.eval.text_column ?? "text", labelColumn: card.eval.label_column ?? "label",
                declaredClasses: card.eval.classes)
            guard let vocab = card.eval.vocabulary else {
                throw EngineError(.malformedModel, file: folder + "/card.json", "text evaluation needs a vocabulary")
            }
            let tokenizer = try WordPieceTokenizer(vocabularyFile: ModelCard.resolve(vocab, root: root))
            return .classification(
                try ModelEvaluation.text(
                    session, dataset: set, encode: { tokenizer.encode($0, maxLength: card.eval.max_length) },
                    from: first, limit: limit, progress: progress))
        case "image-agreement":
            let set = try ImageDataset.unlabeledFolder(dataset)
            let preset = try card.eval.imagePreprocessing(card: folder + "/card.json")
            let loader = try ImageSetLoader(preprocessing: preset, threads: options.threads, batchSize: 8)
            return .predictions(
                try ModelEvaluation.images(
                    session, dataset: set, loader: loader, from: first, limit: limit, progress: progress
                ).predictions)
        case "text-probe":
            let set = try TextDataset.labeled(
                dataset, textColumn: card.eval.text_column ?? "text", labelColumn: card.eval.label_column ?? "label",
                declaredClasses: card.eval.classes)
            guard let vocab = card.eval.vocabulary, let probe = card.probe else {
                throw EngineError(
                    .malformedModel, file: folder + "/card.json",
                    "a text-probe evaluation needs a vocabulary and a probe")
            }
            let tokenizer = try WordPieceTokenizer(vocabularyFile: ModelCard.resolve(vocab, root: root))
            return .classification(
                try ModelEvaluation.text(
                    session, dataset: set, encode: { tokenizer.encode($0, maxLength: card.eval.max_length) },
                    from: first, limit: limit,
                    head: { e in zip(probe.weights, probe.bias).map { w, b in zip(w, e).reduce(b) { $0 + $1.0 * $1.1 } }
                    }, progress: progress))
        case "perplexity":
            let corpus = try TextCorpus(files: [dataset])
            let tokens = corpus.text.utf8.map { Int64($0) }
            return .perplexity(
                try ModelEvaluation.perplexity(
                    session, tokens: tokens, window: card.eval.window ?? 128, from: first, limitWindows: limit,
                    progress: progress))
        default:
            throw EngineError(.malformedModel, file: folder + "/card.json", "unknown evaluation kind \(card.eval.kind)")
        }
    }
}
