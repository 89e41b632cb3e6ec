import Foundation
import QBEngine
import QBTestSupport
import Testing

/// The models of Tests/Fixtures/onnx (scripts/make_engine_fixtures.py): ResNet, MobileNetV2-style and
/// transformer-encoder graphs exported by torch.onnx, with onnxruntime's outputs on real inputs.
@Suite("Engine outputs equal onnxruntime's on the reference models")
struct ReferenceModelTests {
    struct Manifest: Decodable {
        struct Entry: Decodable, Sendable, CustomTestStringConvertible {
            var model: String
            var input: String
            var output: String
            var testDescription: String { model }
        }
        var models: [Entry]
    }

    static let entries: [Manifest.Entry] = (try? loadJSONFixture("onnx/manifest.json", as: Manifest.self).models) ?? []

    @Test("the reference-model manifest loads and is not empty (the parameterized test cannot run zero cases)")
    func manifestLoads() throws {
        let models = try loadJSONFixture("onnx/manifest.json", as: Manifest.self).models
        #expect(!models.isEmpty && models.count == Self.entries.count)
    }

    @Test(
        "max |engine - onnxruntime| <= 1e-4 x output range, optimized or not; threads change no bit", arguments: entries
    )
    func matchesOnnxruntime(_ e: Manifest.Entry) throws {
        let x = try NPYFile.read(Fixtures.path("onnx/" + e.input))
        let expected = try NPYFile.read(Fixtures.path("onnx/" + e.output))
        let range = (expected.floats.max() ?? 0) - (expected.floats.min() ?? 0)
        var outputs = [Value]()
        for (optimize, threads) in [(false, 1), (true, 1), (true, 2)] {
            let session = try Session(
                modelPath: Fixtures.path("onnx/" + e.model),
                options: SessionOptions(optimize: optimize, threads: threads))
            let y = try #require(try session.run([session.inputs[0].name: x])[session.outputs[0].name])
            #expect(y.shape == expected.shape)
            let err = Tolerance.worst(zip(y.floats, expected.floats).map { abs($0 - $1) })
            #expect(err <= 1e-4 * range, "\(e.model) optimize=\(optimize): max error \(err), range \(range)")
            outputs.append(y)
        }
        #expect(outputs[1] == outputs[2], "1 and 2 threads must give identical bits")
    }

    @Test("a batch of one gives the same rows as the batch (symbolic batch dimension)", arguments: entries)
    func batchOfOne(_ e: Manifest.Entry) throws {
        let x = try NPYFile.read(Fixtures.path("onnx/" + e.input))
        let session = try Session(modelPath: Fixtures.path("onnx/" + e.model))
        let all = try session.run([session.inputs[0].name: x])[session.outputs[0].name]!
        let per = x.count / x.shape[0]
        let first: Value
        switch x.storage {
        case .float(let f): first = Value(shape: [1] + x.shape.dropFirst(), floats: Array(f[0..<per]))
        case .int(let i): first = Value(type: x.type, shape: [1] + x.shape.dropFirst(), ints: Array(i[0..<per]))
        }
        let one = try session.run([session.inputs[0].name: first])[session.outputs[0].name]!
        let row = all.count / all.shape[0]
        let diff = Tolerance.worst(zip(one.floats, all.floats[0..<row]).map { abs($0 - $1) })
        #expect(diff < 1e-5)
    }
}
