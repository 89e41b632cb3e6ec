import Foundation
import QBEngine
import QBIngest
import QBQuant

/// Variants quantized once and reused (`quantbench prepare`, then `run --shard` on every shard): each variant's
/// `.qbqm` file and the facts the file does not hold (layer reports, QwT's blocks, mixed precision's report, the
/// calibration time), content-addressed in `<cache>/prepared/`.
///
/// The key covers everything the quantized model depends on: the variant's full definition (method settings, mixed
/// precision's budget and candidates, QwT's settings), the model file's bytes, the calibration tensors (and QwT's
/// fitting samples), and the quantbench executable's own bytes, so that a rebuilt binary never reuses a model its
/// predecessor quantized. A run that finds no file for its key quantizes as usual; only `prepare` writes files.
/// Reusing a file gives exactly the model building it again gives (`ModelFile.model`: the same graph, payloads and
/// bytes), so every figure but the timing is the same.
public struct PreparedVariants: Sendable {
    public var folder: String

    public init(folder: String) { self.folder = folder }

    /// The facts kept beside a prepared `.qbqm` file.
    struct Facts: Codable {
        var variant: String
        var key: String
        var layers: [LayerReport]
        var blocks: [BlockReport]
        var calibrationSeconds: Double
        var mixed: MixedReport?
    }

    /// The SHA-256 of the running executable (`/proc/self/exe`), read once; "unknown" where it cannot be read.
    static let executableDigest: String = {
        guard let data = FileManager.default.contents(atPath: "/proc/self/exe") else { return "unknown" }
        return SHA256Hex.of(data)
    }()

    /// The content address of `variant` of `modelFile` calibrated on `calibration` (and QwT fitted on `qwtFeeds`).
    static func key(
        _ variant: VariantDef, modelFile: String, calibration: [[String: Value]], qwtFeeds: [[String: Value]]?
    ) -> String {
        struct Settings: Encodable {
            var variant: String
            var definition: String
            var format: Int
            var executable: String
        }
        var f = Fingerprint(
            domain: "prepared-variant",
            settings: Settings(
                variant: variant.name, definition: String(describing: variant), format: ModelFile.version,
                executable: executableDigest))
        if let data = FileManager.default.contents(atPath: modelFile) { f.addBytes(data) }
        addFeeds(calibration, to: &f)
        f.addString("qwt")
        addFeeds(qwtFeeds ?? [], to: &f)
        return String(f.finalize().prefix(40))
    }

    /// Every tensor of `feeds` (names, shapes, values) into `f`.
    static func addFeeds(_ feeds: [[String: Value]], to f: inout Fingerprint) {
        for feed in feeds {
            for name in feed.keys.sorted() {
                let v = feed[name]!
                f.addString(name)
                for d in v.shape { f.addInt(d) }
                switch v.storage {
                case .float(let x): x.withUnsafeBufferPointer { f.addFloats($0) }
                case .int(let x): for i in x { f.addInt(Int(i)) }
                }
            }
        }
    }

    func paths(_ key: String) -> (model: String, facts: String) {
        (folder + "/\(key).qbqm", folder + "/\(key).json")
    }

    /// The prepared variant for `key`, or nil when it was not prepared. A file that exists but cannot be read is an
    /// error naming it (delete it, or run `quantbench prepare` again).
    func load(_ key: String) throws -> VariantBuilder.Built? {
        let (modelPath, factsPath) = paths(key)
        guard FileManager.default.fileExists(atPath: modelPath), FileManager.default.fileExists(atPath: factsPath)
        else { return nil }
        let factsData = try FileReader.read(factsPath)
        let facts: Facts
        do { facts = try JSONDecoder().decode(Facts.self, from: factsData) } catch {
            throw HarnessError.decoding(
                error, kind: .badResults, file: factsPath, data: factsData, what: "prepared variant")
        }
        guard facts.key == key else {
            throw HarnessError(.badResults, file: factsPath, "holds key \(facts.key), its name says \(key)")
        }
        let bytes = [UInt8](try FileReader.read(modelPath))
        let model = try ModelFile.model(
            bytes, file: modelPath, layers: facts.layers, blocks: facts.blocks,
            calibrationSeconds: facts.calibrationSeconds)
        return VariantBuilder.Built(model: model, mixed: facts.mixed)
    }

    /// Writes `built` under `key` (the model first, then the facts; each atomically): returns the model's path.
    @discardableResult
    func store(_ built: VariantBuilder.Built, variant: String, key: String) throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let (modelPath, factsPath) = paths(key)
        try AtomicFile.write(Data(try ModelFile.encode(built.model, method: variant)), to: modelPath)
        let facts = Facts(
            variant: variant, key: key, layers: built.model.layers, blocks: built.model.blocks,
            calibrationSeconds: built.model.calibrationSeconds, mixed: built.mixed)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(facts), to: factsPath)
        return modelPath
    }
}
