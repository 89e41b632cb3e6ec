import Foundation

/// Settings for reading a data set of any kind.
public struct IngestSettings: Sendable {
    public var decode = DecodeOptions()
    /// nil = automatic: `fmnist` for IDX sets and 28 x 28 gray images, `imagenet` otherwise.
    public var preprocessing: Preprocessing?
    public var policy: BadSamplePolicy = .failFast
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    public var batchSize = 64
    public var limit: Int?
    public var declaredClasses: [String]?
    public var labelsFile: String?
    public var textColumn = "text"
    public var labelColumn = "label"
    /// WordPiece vocabulary for text sets; nil = byte-level tokens.
    public var vocabulary: String?
    public var maxLength: Int?

    public init() {}
}

/// What `quantbench dataset inspect` reports about a set.
public struct DatasetReport: Sendable {
    public var location: String
    public var kind: String
    public var count: Int
    public var classes: [(name: String, count: Int)]
    /// A one-line description of the preprocessing or tokenization.
    public var pipeline: String
    public var bad: [BadSample]
    public var fingerprint: String
    public var seconds: Double
}

/// Reads a whole data set, as the suite would feed it to a model, and reports its count, classes
/// and fingerprint.
public enum DatasetInspector {
    public static func inspect(
        _ path: String, settings: IngestSettings,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> DatasetReport {
        let start = Date()
        let location = try DatasetLocation.locate(path, labels: settings.labelsFile)
        var report: DatasetReport
        switch location {
        case .imageFolder(let p): report = try images(try ImageDataset.imageFolder(p), settings, progress)
        case .unlabeledFolder(let p): report = try images(try ImageDataset.unlabeledFolder(p), settings, progress)
        case .imageManifest(let p):
            report = try images(
                try ImageDataset.manifest(p, declaredClasses: settings.declaredClasses), settings, progress)
        case .idx(let i, let l):
            report = try images(
                try ImageDataset.idx(images: i, labels: l, declaredClasses: settings.declaredClasses), settings,
                progress)
        case .labeledText(let p): report = try labeledText(p, settings)
        case .corpus(let p): report = try corpus(p, settings)
        }
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// The preset `settings` asks for, or the automatic choice for `dataset`.
    public static func preprocessing(for dataset: ImageDataset, settings: IngestSettings) throws -> Preprocessing {
        if let p = settings.preprocessing { return p }
        if dataset.kind == .idx { return .fmnist }
        guard let first = dataset.samples.first, case .file(let f) = first.source else { return .imagenet }
        let image = try ImageDecoder(options: settings.decode).decode(file: f)
        return image.width == 28 && image.height == 28 && image.channels == 1 ? .fmnist : .imagenet
    }

    static func images(_ dataset: ImageDataset, _ settings: IngestSettings, _ progress: ((Int, Int) -> Void)?) throws
        -> DatasetReport
    {
        let p = try preprocessing(for: dataset, settings: settings)
        let loader = try ImageSetLoader(
            decoder: ImageDecoder(options: settings.decode), preprocessing: p,
            policy: settings.policy, threads: settings.threads, batchSize: settings.batchSize)
        let summary = try loader.summarize(dataset, limit: settings.limit, progress: progress)
        let counts = dataset.samples.prefix(summary.total).reduce(
            into: [Int](repeating: 0, count: dataset.classes.count)
        ) { $0[$1.label] += 1 }
        let pipeline =
            "\(p.name): \(p.channels) x \(p.size) x \(p.size), crop fraction \(p.cropFraction), \(p.filter.rawValue)"
            + (p.antialias ? " antialiased" : "") + ", DCT scaling \(settings.decode.dctScaling ? "on" : "off")"
        return DatasetReport(
            location: dataset.location, kind: dataset.kind.rawValue, count: summary.total,
            classes: zip(dataset.classes, counts).map { ($0, $1) }, pipeline: pipeline,
            bad: summary.bad, fingerprint: summary.fingerprint, seconds: 0)
    }

    static func tokenization(_ settings: IngestSettings) throws -> (TextTokenization, (String) -> [Int32]) {
        if let vocab = settings.vocabulary {
            let tokenizer = try WordPieceTokenizer(vocabularyFile: vocab)
            var fp = Fingerprint(domain: "vocabulary", settings: [String]())
            for token in tokenizer.vocabulary { fp.addString(token) }
            let t = TextTokenization(
                tokenizer: "wordpiece", vocabularySHA256: fp.finalize(), maxLength: settings.maxLength)
            return (t, { tokenizer.encode($0, maxLength: settings.maxLength) })
        }
        let bytes = ByteTokenizer()
        let t = TextTokenization(tokenizer: "bytes", vocabularySHA256: nil, maxLength: settings.maxLength)
        return (
            t,
            { text in
                let ids = bytes.encode(text)
                return settings.maxLength.map { Array(ids.prefix($0)) } ?? ids
            }
        )
    }

    static func labeledText(_ path: String, _ settings: IngestSettings) throws -> DatasetReport {
        let set = try TextDataset.labeled(
            path, textColumn: settings.textColumn, labelColumn: settings.labelColumn,
            declaredClasses: settings.declaredClasses)
        let (tokenization, encode) = try tokenization(settings)
        let samples = set.samples.prefix(settings.limit ?? set.samples.count)
        struct Settings: Encodable {
            var tokenization: TextTokenization
            var classes: [String]
            var count: Int
        }
        var fp = Fingerprint(
            domain: "labeled-text",
            settings: Settings(tokenization: tokenization, classes: set.classes, count: samples.count))
        var tokens = 0
        for (i, s) in samples.enumerated() {
            let ids = encode(s.text)
            tokens += ids.count
            fp.addInt(i)
            fp.addInt(s.label)
            fp.addTokens(ids)
        }
        var counts = [Int](repeating: 0, count: set.classes.count)
        for s in samples { counts[s.label] += 1 }
        let pipeline =
            "\(tokenization.tokenizer) tokens" + (tokenization.maxLength.map { ", max length \($0)" } ?? "")
            + ", \(tokens) tokens in all"
        return DatasetReport(
            location: path, kind: "labeled-text", count: samples.count,
            classes: zip(set.classes, counts).map { ($0, $1) }, pipeline: pipeline,
            bad: [], fingerprint: fp.finalize(), seconds: 0)
    }

    static func corpus(_ path: String, _ settings: IngestSettings) throws -> DatasetReport {
        let corpus = try TextCorpus(files: [path])
        var s = settings
        s.maxLength = nil
        let (tokenization, encode) = try tokenization(s)
        let ids = encode(corpus.text)
        var fp = Fingerprint(domain: "corpus", settings: tokenization)
        fp.addTokens(ids)
        return DatasetReport(
            location: path, kind: "corpus", count: ids.count, classes: [],
            pipeline: "\(tokenization.tokenizer) tokens (count = tokens)", bad: [], fingerprint: fp.finalize(),
            seconds: 0)
    }
}
