import Foundation
import QBEngine
import QBIngest

/// The calibration inputs of a model: feeds for its graph input, read from the set its card names under
/// `calibration` (never the evaluation set): images preprocessed as for evaluation (IDX pair or
/// ImageFolder, batches of 64), reviews tokenized one per feed, or corpus windows (16 per feed).
public enum CalibrationSet {
    /// The first `samples` calibration samples (windows for a language model) as feeds for the graph
    /// input `input`, and the set's path.
    public static func feeds(folder: String, root: String, samples: Int, input: String, threads: Int = 1) throws -> (
        feeds: [[String: Value]], dataset: String
    ) {
        let card = try ModelCard.load(folder)
        let cardPath = folder + "/card.json"
        guard let cal = card.calibration else {
            throw EngineError(
                .malformedModel, file: cardPath,
                "the card names no calibration set (\"calibration\": {\"dataset\": ...})")
        }
        guard samples > 0 else { throw EngineError(.badInput, file: cardPath, "the calibration size must be positive") }
        guard
            URL(fileURLWithPath: ModelCard.resolve(cal.dataset, root: root)).standardized.path
                != URL(fileURLWithPath: ModelCard.resolve(card.eval.dataset, root: root)).standardized.path
        else {
            throw EngineError(
                .malformedModel, file: cardPath,
                "the calibration set is the evaluation set (\(cal.dataset)): calibrate on other data")
        }
        let dataset = ModelCard.resolve(cal.dataset, root: root)
        var feeds = [[String: Value]]()
        switch card.eval.kind {
        case "image-classification", "image-agreement":
            let preset = try card.eval.imagePreprocessing(card: cardPath)
            let set: ImageDataset
            if let labels = ImageDataset.idxLabelsPath(forImages: dataset) {
                set = try ImageDataset.idx(images: dataset, labels: labels)
            } else {
                set = try ImageDataset.unlabeledFolder(dataset)
            }
            let loader = try ImageSetLoader(preprocessing: preset, threads: threads, batchSize: 64)
            _ = try loader.forEachBatch(set, limit: samples) { batch in feeds.append([input: Value(batch.tensor)]) }
        case "text-classification", "text-probe":
            let set = try TextDataset.labeled(
                dataset, textColumn: card.eval.text_column ?? "text", labelColumn: card.eval.label_column ?? "label",
                declaredClasses: card.eval.classes)
            guard let vocab = card.eval.vocabulary else {
                throw EngineError(.malformedModel, file: cardPath, "text calibration needs a vocabulary")
            }
            let tokenizer = try WordPieceTokenizer(vocabularyFile: ModelCard.resolve(vocab, root: root))
            for s in set.samples.prefix(samples) {
                let ids = tokenizer.encode(s.text, maxLength: card.eval.max_length).map { Int64($0) }
                feeds.append([input: Value(shape: [1, ids.count], ints: ids)])
            }
        case "perplexity":
            let tokens = try TextCorpus(files: [dataset]).text.utf8.map { Int64($0) }
            let window = card.eval.window ?? 128
            guard window > 1 else {
                throw EngineError(.malformedModel, file: cardPath, "the window must be at least 2 tokens")
            }
            let windows = min(samples, tokens.count / window)
            for start in stride(from: 0, to: windows, by: 16) {
                let n = min(16, windows - start)
                feeds.append([
                    input: Value(shape: [n, window], ints: Array(tokens[(start * window)..<((start + n) * window)]))
                ])
            }
        default:
            throw EngineError(.malformedModel, file: cardPath, "unknown evaluation kind \(card.eval.kind)")
        }
        guard !feeds.isEmpty else { throw EngineError(.badInput, file: dataset, "the calibration set is empty") }
        return (feeds, cal.dataset)
    }
}
