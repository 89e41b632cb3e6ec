import Foundation
import ONNXProto
@testable import QBEngine
import QBModelBuilder
import Testing

/// Already-quantized and recurrent operators refuse malformed parameters with an error naming the node (their results
/// are checked by the ONNX node tests and against onnxruntime in `ThirdPartyModelTests` and the external variants).
@Suite("Quantized, Resize and recurrent operators: bad parameters are refused, naming the node")
struct QuantizedBadInputTests {
    static func tensor(_ name: String, _ type: Int32, _ shape: [Int], _ values: [Double]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = shape.map(Int64.init)
        t.dataType = type
        if type == 1 { t.floatData = values.map(Float.init) } else { t.int32Data = values.map { Int32($0) } }
        if type == 7 {
            t.int32Data = []
            t.int64Data = values.map { Int64($0) }
        }
        return t
    }

    /// Runs a one-node model `op(x, constants...)` named "bad_<op>" on x and returns the error text (nil: no error).
    static func error(
        _ op: String, x: Value, xType: Int32 = 1, constants: [Onnx_TensorProto], inputs: [String]? = nil,
        _ attributes: [String: Any] = [:]
    ) -> String? {
        let yType: Int32 = op == "QuantizeLinear" || op.hasPrefix("QLinear") ? 2 : 1
        var model = ModelBuilder(opset: 19)
        model.input("x", x.shape, type: xType)
        for c in constants { model.initializer(c) }
        model.output("y", type: yType, unranked: true)
        model.node(op, inputs ?? (["x"] + constants.map(\.name)), ["y"], name: "bad_\(op)", attributes)
        do {
            let session = try Session(graph: try model.graph(), options: SessionOptions(optimize: false))
            _ = try session.run(["x": x])
            return nil
        } catch { return "\(error)" }
    }

    static let codes = Value(type: .uint8, shape: [1, 1, 3, 3], ints: [1, 2, 3, 4, 5, 6, 7, 8, 9])
    static let floats = Value(shape: [1, 1, 3, 3], floats: [1, 2, 3, 4, 5, 6, 7, 8, 9])

    @Test("zero and negative scales, axis out of range, mismatched zero points")
    func quantizationParameters() {
        let cases: [(String, Value, Int32, [Onnx_TensorProto], [String: Any], String)] = [
            (
                "QuantizeLinear", Self.floats, 1, [Self.tensor("s", 1, [], [0]), Self.tensor("z", 2, [], [0])], [:],
                "positive and finite"
            ),
            (
                "DequantizeLinear", Self.codes, 2, [Self.tensor("s", 1, [], [-1]), Self.tensor("z", 2, [], [0])], [:],
                "positive and finite"
            ),
            (
                "QuantizeLinear", Self.floats, 1,
                [Self.tensor("s", 1, [3], [1, 1, 1]), Self.tensor("z", 2, [3], [0, 0, 0])],
                ["axis": 7], "axis"
            ),
            (
                "QuantizeLinear", Self.floats, 1, [Self.tensor("s", 1, [], [1]), Self.tensor("z", 2, [2], [0, 0])], [:],
                "zero point and scale differ"
            ),
        ]
        for (op, x, type, constants, attributes, words) in cases {
            let text = Self.error(op, x: x, xType: type, constants: constants, attributes)
            #expect(
                text?.contains("bad_\(op)") == true && text?.contains(words) == true, "\(op): \(text ?? "no error")")
        }
    }

    @Test("QLinearConv with a zero scale or a weight zero point per channel of the wrong count")
    func qlinearConv() {
        let w = Self.tensor("w", 3, [1, 1, 1, 1], [2])
        let good: [Onnx_TensorProto] = [
            Self.tensor("xs", 1, [], [0.5]), Self.tensor("xz", 2, [], [0]), w, Self.tensor("ws", 1, [], [0.1]),
            Self.tensor("wz", 3, [], [0]), Self.tensor("ys", 1, [], [0.2]), Self.tensor("yz", 2, [], [0]),
        ]
        #expect(Self.error("QLinearConv", x: Self.codes, xType: 2, constants: good) == nil)
        var zeroScale = good
        zeroScale[5] = Self.tensor("ys", 1, [], [0])
        let text = Self.error("QLinearConv", x: Self.codes, xType: 2, constants: zeroScale)
        #expect(text?.contains("bad_QLinearConv") == true && text?.contains("scale input 6") == true, "\(text ?? "-")")
        var zeros = good
        zeros[4] = Self.tensor("wz", 3, [3], [0, 0, 0])
        let wrong = Self.error("QLinearConv", x: Self.codes, xType: 2, constants: zeros)
        #expect(wrong?.contains("bad_QLinearConv") == true && wrong?.contains("zero points") == true, "\(wrong ?? "-")")
    }

    @Test("Resize with both scales and sizes, or scales of the wrong count")
    func resize() {
        let both = Self.error(
            "Resize", x: Self.floats,
            constants: [Self.tensor("scales", 1, [4], [1, 1, 2, 2]), Self.tensor("sizes", 7, [4], [1, 1, 6, 6])],
            inputs: ["x", "", "scales", "sizes"])
        #expect(both?.contains("bad_Resize") == true, "\(both ?? "no error")")
        let count = Self.error(
            "Resize", x: Self.floats, constants: [Self.tensor("scales", 1, [3], [1, 2, 2])],
            inputs: ["x", "", "scales"])
        #expect(count?.contains("bad_Resize") == true, "\(count ?? "no error")")
    }

    @Test("LSTM whose W or R has the wrong shape")
    func lstmShapes() {
        let x = Value(shape: [2, 1, 3], floats: [1, 2, 3, 4, 5, 6])
        let w = Self.tensor("W", 1, [1, 8, 3], Array(repeating: 0.1, count: 24))
        let badR = Self.tensor("R", 1, [1, 8, 3], Array(repeating: 0.1, count: 24))
        let text = Self.error("LSTM", x: x, constants: [w, badR], ["hidden_size": 2])
        #expect(text?.contains("bad_LSTM") == true && text?.contains("R") == true, "\(text ?? "no error")")
    }
}
