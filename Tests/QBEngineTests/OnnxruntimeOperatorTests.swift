import Foundation
import ONNXProto
import QBEngine
import QBModelBuilder
import QBTestSupport
import Testing

/// The models of Tests/Fixtures/onnx-ort (scripts/make_ort_op_fixtures.py): 4-bit QuantizeLinear/DequantizeLinear
/// and 3-D windows (Conv, MaxPool with Indices, AveragePool, MaxUnpool) that the machine's ONNX node tests do not
/// cover, with onnxruntime's outputs.
@Suite("Operators outside the node tests equal onnxruntime: int4/uint4 QDQ, 3-D windows, MaxPool Indices")
struct OnnxruntimeOperatorTests {
    struct Manifest: Decodable {
        struct Output: Decodable {
            var name: String
            var file: String
            var exact: Bool
        }
        struct Entry: Decodable, Sendable, CustomTestStringConvertible {
            var model: String
            var input: String
            var outputs: [Output]
            var testDescription: String { model }
        }
        var models: [Entry]
    }

    static let entries: [Manifest.Entry] =
        (try? loadJSONFixture("onnx-ort/manifest.json", as: Manifest.self).models) ?? []

    @Test("the manifest lists both models (the parameterized test cannot run zero cases)")
    func manifestLoads() throws {
        let models = try loadJSONFixture("onnx-ort/manifest.json", as: Manifest.self).models
        #expect(models.map(\.model) == ["qdq4.onnx", "window3d.onnx"] && Self.entries.count == 2)
    }

    @Test("exact outputs bit for bit, float results within 1e-5 of their range; optimized or not", arguments: entries)
    func matchesOnnxruntime(_ e: Manifest.Entry) throws {
        let x = try NPYFile.read(Fixtures.path("onnx-ort/" + e.input))
        for optimize in [false, true] {
            let session = try Session(
                modelPath: Fixtures.path("onnx-ort/" + e.model), options: SessionOptions(optimize: optimize))
            let results = try session.run(["x": x])
            for output in e.outputs {
                let expected = try NPYFile.read(Fixtures.path("onnx-ort/" + output.file))
                let y = try #require(results[output.name], "\(e.model): no output \(output.name)")
                #expect(y.shape == expected.shape, "\(e.model) \(output.name): shape \(y.shape)")
                if output.exact {
                    let same = y == expected
                    let first = Array(zip(y.floats, expected.floats)).firstIndex { $0.0 != $0.1 }
                    #expect(same, "\(e.model) \(output.name) optimize=\(optimize): first difference at \(first ?? -1)")
                } else {
                    let range = (expected.floats.max() ?? 0) - (expected.floats.min() ?? 0)
                    let error = Tolerance.worst(zip(y.floats, expected.floats).map { abs($0 - $1) })
                    #expect(error <= 1e-5 * range, "\(e.model) \(output.name): max error \(error), range \(range)")
                }
            }
        }
    }

    /// The error text of running `model` on `x` (nil: no error).
    static func error(_ model: ModelBuilder, _ x: Value) -> String? {
        do {
            let session = try Session(graph: try model.graph(), options: SessionOptions(optimize: false))
            _ = try session.run(["x": x])
            return nil
        } catch { return "\(error)" }
    }

    @Test("int4 codes whose raw bytes do not fit the shape are refused, naming the tensor")
    func int4RawBytes() {
        var codes = Onnx_TensorProto()
        codes.name = "packed_codes"
        codes.dims = [5]
        codes.dataType = 22
        codes.rawData = Data([0x12, 0x34])  // 5 codes need 3 bytes
        var model = ModelBuilder(opset: 21)
        model.input("x", [1])
        model.initializer(codes)
        model.initializer(ModelBuilder.tensor("s", [], [0.5]))
        model.output("y", unranked: true)
        model.node("DequantizeLinear", ["packed_codes", "s"], ["d"], name: "dq")
        model.node("Add", ["d", "x"], ["y"], name: "add")
        let text = Self.error(model, Value(shape: [1], floats: [0]))
        #expect(text?.contains("packed_codes") == true && text?.contains("needs 3") == true, "\(text ?? "no error")")
    }

    @Test("MaxUnpool with an index outside the output, and an output_shape smaller than the unpooled one")
    func maxUnpoolBadIndices() {
        for (indices, shape, words) in [
            ([0, 1, 2, 99], [Int64]?.none, "outside"), ([0, 1, 2, 3], [1, 1, 2, 2], "smaller"),
        ] {
            var model = ModelBuilder(opset: 17)
            model.input("x", [1, 1, 2, 2])
            model.initializer(
                {
                    var t = ModelBuilder.intTensor("i", indices.map(Int64.init))
                    t.dims = [1, 1, 2, 2]
                    return t
                }())
            if let shape { model.initializer(ModelBuilder.intTensor("shape", shape)) }
            model.output("y", unranked: true)
            model.node(
                "MaxUnpool", ["x", "i"] + (shape == nil ? [] : ["shape"]), ["y"], name: "unpool",
                ["kernel_shape": [2, 2], "strides": [2, 2]])
            let text = Self.error(model, Value(shape: [1, 1, 2, 2], floats: [1, 2, 3, 4]))
            #expect(text?.contains("unpool") == true && text?.contains(words) == true, "\(text ?? "no error")")
        }
    }
}
