import Foundation
@testable import QBEngine
import QBModelBuilder
import Testing

/// The indexing operators refuse out-of-range indices and inconsistent shapes with an error naming the node (their
/// correct results are checked by the ONNX node tests in `ConformanceTests`).
@Suite("Indexing operators: bad input is refused, naming the node")
struct IndexingBadInputTests {
    /// A one-node model `op(x, constant)` with x of shape [2, 3], run on `x`.
    static func run(_ op: String, constant: [Int64], shape: [Int]? = nil, _ attributes: [String: Any] = [:]) throws {
        var model = ModelBuilder()
        model.input("x", [2, 3])
        var indices = ModelBuilder.intTensor("c", constant)
        if let shape { indices.dims = shape.map(Int64.init) }
        model.initializer(indices)
        model.output("y", unranked: true)
        model.node(op, ["x", "c"], ["y"], name: "bad_\(op)", attributes)
        let session = try Session(graph: try model.graph(), options: SessionOptions(optimize: false))
        _ = try session.run(["x": Value(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])])
    }

    @Test("GatherElements, TopK, CumSum and Compress with indices, K, axis or condition out of range")
    func refused() {
        let cases: [(String, [Int64], [Int]?, [String: Any], String)] = [
            ("GatherElements", [0, 7, 1, 0, 0, 0], [2, 3], ["axis": 1], "out of range"),
            ("GatherElements", [0, 1], [2], [:], "differ in rank"),
            ("TopK", [4], nil, [:], "K = 4"),
            ("CumSum", [0, 1], nil, [:], "one integer"),
            ("Compress", [1, 0, 1, 1], nil, ["axis": 1], "4 entries"),
        ]
        for (op, constant, shape, attributes, words) in cases {
            #expect {
                try Self.run(op, constant: constant, shape: shape, attributes)
            } throws: { error in
                let text = "\(error)"
                return text.contains("bad_\(op)") && text.contains(words)
            }
        }
    }

    @Test("TopK keeps the lower index among ties; GatherND and ScatterND address whole slices")
    func semantics() throws {
        var model = ModelBuilder()
        model.input("x", [2, 3])
        model.initializer(ModelBuilder.intTensor("k", [2]))
        var rows = ModelBuilder.intTensor("rows", [1, 0])
        rows.dims = [2, 1]
        model.initializer(rows)
        model.output("values", unranked: true)
        model.output("indices", type: 7, unranked: true)
        model.output("gathered", unranked: true)
        model.node("TopK", ["x", "k"], ["values", "indices"])
        model.node("GatherND", ["x", "rows"], ["gathered"])
        let session = try Session(graph: try model.graph(), options: SessionOptions(optimize: false))
        let out = try session.run(["x": Value(shape: [2, 3], floats: [5, 7, 7, 1, 0, 1])])
        #expect(out["values"]!.floats == [7, 7, 1, 1] && out["indices"]!.ints == [1, 2, 0, 2])
        #expect(out["gathered"]!.shape == [2, 3] && out["gathered"]!.floats == [1, 0, 1, 5, 7, 7])
    }

    @Test("Resize refuses a non-positive scale, an unknown mode and scales given beside sizes, naming the node")
    func resizeRefused() {
        func run(_ scales: [Float], sizes: [Int64]?, _ attributes: [String: Any]) throws {
            var model = ModelBuilder()
            model.input("x", [1, 1, 2, 2])
            model.initializer(ModelBuilder.tensor("s", [scales.count], scales))
            var inputs = ["x", "", "s"]
            if let sizes {
                model.initializer(ModelBuilder.intTensor("z", sizes))
                inputs.append("z")
            }
            model.output("y", unranked: true)
            model.node("Resize", inputs, ["y"], name: "bad_resize", attributes)
            let session = try Session(graph: try model.graph(), options: SessionOptions(optimize: false))
            _ = try session.run(["x": Value(shape: [1, 1, 2, 2], floats: [1, 2, 3, 4])])
        }
        let cases: [([Float], [Int64]?, [String: Any], String)] = [
            ([1, 1, -2, 2], nil, [:], "positive"),
            ([1, 1, 2, 2], nil, ["mode": "bicubic"], "unknown mode"),
            ([1, 1, 2, 2], [1, 1, 4, 4], [:], "either scales or"),
        ]
        for (scales, sizes, attributes, words) in cases {
            #expect {
                try run(scales, sizes: sizes, attributes)
            } throws: { error in
                "\(error)".contains("bad_resize") && "\(error)".contains(words)
            }
        }
    }

    @Test("ConvTranspose refuses a weight that does not fit the channels, naming the node")
    func convTransposeRefused() {
        var model = ModelBuilder()
        model.input("x", [1, 2, 3, 3])
        model.initializer(ModelBuilder.tensor("w", [3, 1, 2, 2], [Float](repeating: 1, count: 12)))
        model.output("y", unranked: true)
        model.node("ConvTranspose", ["x", "w"], ["y"], name: "bad_deconv")
        #expect {
            let session = try Session(graph: try model.graph(), options: SessionOptions(optimize: false))
            _ = try session.run(["x": Value(shape: [1, 2, 3, 3], floats: [Float](repeating: 1, count: 18))])
        } throws: { error in
            "\(error)".contains("bad_deconv") && "\(error)".contains("does not fit 2 channels")
        }
    }

    @Test("QuantizeLinear refuses a zero scale and a per-axis scale of the wrong length, naming the node")
    func quantizeRefused() {
        func run(_ scales: [Float], _ attributes: [String: Any]) throws {
            var model = ModelBuilder()
            model.input("x", [2, 3])
            model.initializer(ModelBuilder.tensor("s", scales.count == 1 ? [] : [scales.count], scales))
            model.output("y", type: 2, unranked: true)
            model.node("QuantizeLinear", ["x", "s"], ["y"], name: "bad_quantize", attributes)
            let session = try Session(graph: try model.graph(), options: SessionOptions(optimize: false))
            _ = try session.run(["x": Value(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])])
        }
        for (scales, attributes, words) in [
            ([Float(0)], [String: Any](), "positive"), ([1, 2], ["axis": 1], "3 values"),
        ] {
            #expect {
                try run(scales, attributes)
            } throws: { error in
                "\(error)".contains("bad_quantize") && "\(error)".contains(words)
            }
        }
    }

    @Test("LSTM refuses weights of the wrong shape and an unknown direction, naming the node")
    func recurrentRefused() {
        func run(weightRows: Int, _ attributes: [String: Any]) throws {
            var model = ModelBuilder()
            model.input("x", [2, 1, 3])
            model.initializer(
                ModelBuilder.tensor("w", [1, weightRows, 3], [Float](repeating: 0.1, count: weightRows * 3)))
            model.initializer(ModelBuilder.tensor("r", [1, 8, 2], [Float](repeating: 0.1, count: 16)))
            model.output("y", unranked: true)
            model.node("LSTM", ["x", "w", "r"], ["y"], name: "bad_lstm", attributes)
            let session = try Session(graph: try model.graph(), options: SessionOptions(optimize: false))
            _ = try session.run(["x": Value(shape: [2, 1, 3], floats: [1, 2, 3, 4, 5, 6])])
        }
        for (rows, attributes, words) in [
            (7, ["hidden_size": 2] as [String: Any], "must be [1, 8"), (8, ["direction": "sideways"], "sideways"),
        ] {
            #expect {
                try run(weightRows: rows, attributes)
            } throws: { error in
                "\(error)".contains("bad_lstm") && "\(error)".contains(words)
            }
        }
    }
}
