import Foundation
import QBEngine
import QBIngest
import QBTensor

/// Runs a model over an evaluation set with the reference engine and collects its predictions:
/// image and text classification (top-1 by the first largest logit, as NumPy's argmax), and language-model
/// perplexity.
public enum ModelEvaluation {
    /// Classification outcome: predictions in sample order.
    public struct Classification: Sendable, Equatable {
        public var predictions: [Int]
        public var labels: [Int]
        /// The logits, row after row (`classes` per sample), for top-5, agreement and KL.
        public var logits: [Float] = []
        public var classes: Int = 0
        /// The input fingerprint of image sets (see `Fingerprint`).
        public var fingerprint: String?

        public init(
            predictions: [Int], labels: [Int], logits: [Float] = [], classes: Int = 0, fingerprint: String? = nil
        ) {
            self.predictions = predictions
            self.labels = labels
            self.logits = logits
            self.classes = classes
            self.fingerprint = fingerprint
        }

        /// Samples whose label is among the `k` largest logits.
        public func topK(_ k: Int) -> Int {
            guard classes > 0 else { return correct }
            return labels.indices.filter {
                Statistics.inTopK(logits[($0 * classes)..<(($0 + 1) * classes)], label: labels[$0], k: k)
            }.count
        }

        public func row(_ i: Int) -> ArraySlice<Float> { logits[(i * classes)..<((i + 1) * classes)] }
        public var correct: Int { zip(predictions, labels).filter { $0 == $1 }.count }
        public var count: Int { labels.count }
        public var accuracy: Double { count == 0 ? 0 : Double(correct) / Double(count) }
    }

    /// Perplexity outcome: the summed negative log-likelihood (natural log) over the predicted tokens.
    public struct Perplexity: Sendable, Equatable {
        public var nllSum: Double
        public var predicted: Int
        public var windows: Int
        /// The mean negative log-likelihood of each window, for the standard error.
        public var windowNLL: [Double] = []
        /// Standard error of the perplexity over windows (delta method: ppl x SE of the mean NLL).
        public var perplexityStandardError: Double {
            perplexity * Statistics.meanAndStandardError(windowNLL).standardError
        }
        public var perplexity: Double { exp(nllSum / Double(max(predicted, 1))) }
        public var bitsPerToken: Double { nllSum / Double(max(predicted, 1)) / log(2) }
    }

    /// The index of the first largest value of each row of a `[rows, classes]` logits value.
    public static func argmax(_ logits: Value) -> [Int] {
        let classes = logits.shape.last ?? 1
        let f = logits.floats
        return (0..<(f.count / max(classes, 1))).map { r in
            var best = 0
            for c in 1..<max(classes, 1) where f[r * classes + c] > f[r * classes + best] { best = c }
            return best
        }
    }

    /// Top-1 predictions of an image classifier over `dataset`, read through `loader` (batched,
    /// preprocessed exactly as `dataset inspect` does).
    public static func images(
        _ session: Session, dataset: ImageDataset, loader: ImageSetLoader, from first: Int = 0, limit: Int? = nil,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> Classification {
        let input = session.inputs[0].name, output = session.outputs[0].name
        var predictions = [Int](), labels = [Int](), logits = [Float]()
        var classes = 0
        let summary = try loader.forEachBatch(dataset, from: first, limit: limit, progress: progress) { batch in
            let y = try session.run([input: Value(batch.tensor)])[output]!
            predictions += argmax(y)
            labels += batch.labels
            logits += y.floats
            classes = y.shape.last ?? 0
        }
        return Classification(
            predictions: predictions, labels: FaultInjection.shifted(labels, classes: classes), logits: logits,
            classes: classes,
            fingerprint: summary.fingerprint)
    }

    /// Top-1 predictions of a text classifier, one text per run at its own length (no padding). `head`
    /// turns the model's output row into class scores (e.g. a linear probe on an encoder's embedding);
    /// without it the output is the logits.
    public static func text(
        _ session: Session, dataset: TextDataset, encode: (String) -> [Int32], from first: Int = 0, limit: Int? = nil,
        head: (([Float]) -> [Float])? = nil, progress: ((Int, Int) -> Void)? = nil
    ) throws -> Classification {
        let input = session.inputs[0].name, output = session.outputs[0].name
        let end = min(limit ?? dataset.samples.count, dataset.samples.count)
        let samples = dataset.samples[min(first, end)..<end]
        var predictions = [Int](), logits = [Float]()
        var classes = 0
        for (i, s) in samples.enumerated() {
            let ids = encode(s.text).map { Int64($0) }
            var y = try session.run([input: Value(shape: [1, ids.count], ints: ids)])[output]!
            if let head {
                let scores = head(y.floats)
                y = Value(shape: [1, scores.count], floats: scores)
            }
            predictions += argmax(y)
            logits += y.floats
            classes = y.shape.last ?? 0
            if (i + 1) % 100 == 0 || i + 1 == samples.count { progress?(i + 1, samples.count) }
        }
        return Classification(
            predictions: predictions, labels: FaultInjection.shifted(samples.map(\.label), classes: classes),
            logits: logits, classes: classes)
    }

    /// Perplexity of a causal language model over consecutive, non-overlapping windows of `window`
    /// tokens (the tail shorter than a window dropped): in each window every token after the first is
    /// predicted from the tokens before it. Log-softmax in Double, summed in Double.
    public static func perplexity(
        _ session: Session, tokens: [Int64], window: Int, batch: Int = 16, from firstWindow: Int = 0,
        limitWindows: Int? = nil,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> Perplexity {
        let input = session.inputs[0].name, output = session.outputs[0].name
        let windows = min(tokens.count / window, limitWindows ?? Int.max)
        var nll = 0.0
        var perWindow = [Double]()
        var start = min(firstWindow, windows)
        while start < windows {
            let n = min(batch, windows - start)
            let ids = Array(tokens[(start * window)..<((start + n) * window)])
            let logits = try session.run([input: Value(shape: [n, window], ints: ids)])[output]!
            let vocab = logits.shape.last!
            let f = logits.floats
            for b in 0..<n {
                var windowSum = 0.0
                for t in 0..<(window - 1) {
                    let row = (b * window + t) * vocab
                    var m = -Double.infinity
                    for v in 0..<vocab { m = max(m, Double(f[row + v])) }
                    var s = 0.0
                    for v in 0..<vocab { s += Foundation.exp(Double(f[row + v]) - m) }
                    let target = Int(ids[b * window + t + 1])
                    windowSum -= Double(f[row + target]) - m - Foundation.log(s)
                }
                nll += windowSum
                perWindow.append(windowSum / Double(window - 1))
            }
            start += n
            progress?(start - firstWindow, windows - firstWindow)
        }
        let evaluated = windows - min(firstWindow, windows)
        return Perplexity(nllSum: nll, predicted: evaluated * (window - 1), windows: evaluated, windowNLL: perWindow)
    }
}
