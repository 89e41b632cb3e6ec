import Foundation
import QBEngine

/// A suite file (JSON): which models to evaluate, in which variants, on how much of their evaluation set.
///
/// ```json
/// {"name": "default", "description": "...",
///  "models": [{"model": "Models/fmnist-resnet", "variants": ["fp32"], "limit": null}]}
/// ```
/// `model` is a model folder (model.onnx + card.json; the card names the evaluation set and how to read it);
/// `variants` are names from the variant table (`Variants.table`), or external variants: an ONNX file of the same
/// model quantized elsewhere (`{"name": "ort-int8", "model": "Models/m/model.int8.onnx"}`, the path from the
/// suite's root like `model`), measured beside the table's variants on the same data with the same metrics;
/// `limit` evaluates only the first samples (perplexity: windows).
public struct Suite: Codable, Sendable {
    /// A variant quantized outside QuantBench (onnxruntime's quantizer, NNCF, Brevitas, ...): its name in the results
    /// and its ONNX file.
    public struct ExternalVariant: Codable, Sendable, Equatable {
        public var name: String
        public var model: String
        /// Where the file came from (the tool and its settings), shown in the report.
        public var note: String?

        public init(name: String, model: String, note: String? = nil) {
            self.name = name
            self.model = model
            self.note = note
        }
    }

    /// One item of an entry's `variants` list: a table name or an external variant.
    enum VariantItem: Codable {
        case named(String)
        case external(ExternalVariant)

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let name = try? c.decode(String.self) {
                self = .named(name)
            } else {
                self = .external(try c.decode(ExternalVariant.self))
            }
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .named(let name): try c.encode(name)
            case .external(let e): try c.encode(e)
            }
        }
    }

    public struct Entry: Codable, Sendable {
        public var model: String
        /// Every variant's name in the listed order (external ones included).
        public var variants: [String]
        /// The external variants among them.
        public var external: [ExternalVariant] = []
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

        public init(
            model: String, variants: [String], limit: Int? = nil, calibration: Int? = nil, dataset: String? = nil,
            qwtSamples: Int? = nil, qwtBlocks: [[String]]? = nil, external: [ExternalVariant] = []
        ) {
            self.model = model
            self.variants = variants
            self.limit = limit
            self.calibration = calibration
            self.dataset = dataset
            self.qwtSamples = qwtSamples
            self.qwtBlocks = qwtBlocks
            self.external = external
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            model = try c.decode(String.self, forKey: .model)
            let items = try c.decode([VariantItem].self, forKey: .variants)
            variants = items.map { item in
                switch item {
                case .named(let name): return name
                case .external(let e): return e.name
                }
            }
            external = items.compactMap { if case .external(let e) = $0 { return e } else { return nil } }
            limit = try c.decodeIfPresent(Int.self, forKey: .limit)
            calibration = try c.decodeIfPresent(Int.self, forKey: .calibration)
            dataset = try c.decodeIfPresent(String.self, forKey: .dataset)
            qwtSamples = try c.decodeIfPresent(Int.self, forKey: .qwtSamples)
            qwtBlocks = try c.decodeIfPresent([[String]].self, forKey: .qwtBlocks)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(model, forKey: .model)
            try c.encode(
                variants.map { name in external.first { $0.name == name }.map(VariantItem.external) ?? .named(name) },
                forKey: .variants)
            try c.encodeIfPresent(limit, forKey: .limit)
            try c.encodeIfPresent(calibration, forKey: .calibration)
            try c.encodeIfPresent(dataset, forKey: .dataset)
            try c.encodeIfPresent(qwtSamples, forKey: .qwtSamples)
            try c.encodeIfPresent(qwtBlocks, forKey: .qwtBlocks)
        }

        /// The external variant named `name`, if it is one.
        public func externalVariant(_ name: String) -> ExternalVariant? { external.first { $0.name == name } }
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
            for v in e.variants where Variants.named(v) == nil && e.externalVariant(v) == nil {
                throw HarnessError(
                    .badSuite, file: path,
                    "model \(e.model): unknown variant \"\(v)\" (known: \(Variants.names); or give an external "
                        + "variant as "
                        + "{\"name\": ..., \"model\": \"path/to/model.onnx\"})")
            }
            for x in e.external {
                guard Variants.named(x.name) == nil, e.variants.filter({ $0 == x.name }).count == 1 else {
                    throw HarnessError(
                        .badSuite, file: path,
                        "model \(e.model): external variant \"\(x.name)\" must have a name of its own (not a table "
                            + "variant's, not repeated)")
                }
                guard x.model.hasSuffix(".onnx"), !x.name.isEmpty else {
                    throw HarnessError(
                        .badSuite, file: path,
                        "model \(e.model): external variant \"\(x.name)\" must name an .onnx file, not \"\(x.model)\"")
                }
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
