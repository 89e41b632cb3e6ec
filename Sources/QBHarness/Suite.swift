import Foundation
import QBEngine

/// A suite file (JSON): which models to evaluate, in which variants, on how much of their evaluation set.
///
/// ```json
/// {"name": "default", "description": "...",
///  "models": [{"model": "Models/fmnist-resnet", "variants": ["fp32"], "limit": null}]}
/// ```
/// `model` is a model folder (model.onnx + card.json; the card names the evaluation set and how to read it);
/// `variants` are names from the variant table (`Variants.table`); `limit` evaluates only the first samples
/// (perplexity: windows).
public struct Suite: Codable, Sendable {
    public struct Entry: Codable, Sendable {
        public var model: String
        public var variants: [String]
        public var limit: Int?
        /// Calibration samples (windows for a language model) for the quantized variants; default 256.
        public var calibration: Int?
        /// Replaces the card's evaluation set (read the same way), e.g. the full set in the nightly suite.
        public var dataset: String?
        /// QwT's calibration samples for this model (default: the method's 512).
        public var qwtSamples: Int? = nil
        /// QwT's blocks as [input, output] value names, instead of those found from the residual Adds.
        public var qwtBlocks: [[String]]? = nil

        enum CodingKeys: String, CodingKey {
            case model, variants, limit, calibration, dataset
            case qwtSamples = "qwt_samples"
            case qwtBlocks = "qwt_blocks"
        }
    }

    public var name: String
    public var description: String?
    public var models: [Entry]

    /// Reads and checks a suite file; errors name the file and the problem.
    public static func load(_ path: String) throws -> Suite {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HarnessError(.missingFile, file: path, "no such suite file")
        }
        return try parse(data, file: path)
    }

    /// Checks a suite file's bytes (`path` names it in errors).
    public static func parse(_ data: Data, file path: String) throws -> Suite {
        let suite: Suite
        do { suite = try JSONDecoder().decode(Suite.self, from: data) } catch {
            throw HarnessError.decoding(error, kind: .badSuite, file: path, data: data, what: "not a valid suite")
        }
        guard !suite.models.isEmpty else { throw HarnessError(.badSuite, file: path, "the suite lists no models") }
        for e in suite.models {
            for v in e.variants where Variants.named(v) == nil {
                throw HarnessError(
                    .badSuite, file: path, "model \(e.model): unknown variant \"\(v)\" (known: \(Variants.names))")
            }
            if let c = e.qwtSamples, c < 1 {
                throw HarnessError(.badSuite, file: path, "model \(e.model): qwt_samples must be positive")
            }
            if let b = e.qwtBlocks, b.isEmpty || b.contains(where: { $0.count != 2 }) {
                throw HarnessError(
                    .badSuite, file: path, "model \(e.model): qwt_blocks must list [input, output] pairs of value names"
                )
            }
            if let l = e.limit, l < 1 {
                throw HarnessError(.badSuite, file: path, "model \(e.model): limit must be positive")
            }
            if let c = e.calibration, c < 1 {
                throw HarnessError(.badSuite, file: path, "model \(e.model): calibration must be positive")
            }
        }
        return suite
    }
}

/// The harness phase's error: the file and the reason.
