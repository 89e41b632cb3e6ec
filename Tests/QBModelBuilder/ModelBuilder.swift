import Foundation
import ONNXProto
import QBEngine

/// Builds small ONNX models in memory for tests (shared by the engine and quantization tests).
public struct ModelBuilder {
    public var model = Onnx_ModelProto()

    public init(opset: Int64 = 17) {
        model.irVersion = 8
        var o = Onnx_OperatorSetIdProto()
        o.version = opset
        model.opsetImport = [o]
    }

    public static func tensor(_ name: String, _ shape: [Int], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = shape.map { Int64($0) }
        t.dataType = 1
        t.floatData = values
        return t
    }

    public static func intTensor(_ name: String, _ values: [Int64]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = [Int64(values.count)]
        t.dataType = 7
        t.int64Data = values
        return t
    }

    public static func valueInfo(_ name: String, _ dims: [Any], type: Int32 = 1) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = type
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            if let i = d as? Int { dim.dimValue = Int64(i) } else if let s = d as? String { dim.dimParam = s }
            return dim
        }
        tt.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tt
        v.type = type
        return v
    }

    public mutating func input(_ name: String, _ dims: [Any], type: Int32 = 1) {
        model.graph.input.append(Self.valueInfo(name, dims, type: type))
    }
    public mutating func output(_ name: String, _ dims: [Any] = [], type: Int32 = 1, unranked: Bool = false) {
        var v = Self.valueInfo(name, dims, type: type)
        if unranked { v.type.tensorType.clearShape() }
        model.graph.output.append(v)
    }
    public mutating func initializer(_ t: Onnx_TensorProto) { model.graph.initializer.append(t) }

    public mutating func node(
        _ op: String, _ inputs: [String], _ outputs: [String], name: String? = nil, _ attributes: [String: Any] = [:]
    ) {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = name ?? "\(op)_\(model.graph.node.count)"
        n.input = inputs
        n.output = outputs
        for (k, v) in attributes.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto()
            a.name = k
            switch v {
            case let i as Int:
                a.type = .int
                a.i = Int64(i)
            case let f as Float:
                a.type = .float
                a.f = f
            case let s as String:
                a.type = .string
                a.s = Data(s.utf8)
            case let l as [Int]:
                a.type = .ints
                a.ints = l.map { Int64($0) }
            case let l as [Float]:
                a.type = .floats
                a.floats = l
            case let g as Onnx_GraphProto:
                a.type = .graph
                a.g = g
            default: fatalError("attribute type")
            }
            n.attribute.append(a)
        }
        model.graph.node.append(n)
    }

    public func data() throws -> Data { try model.serializedData() }

    public func graph(file: String = "test.onnx") throws -> Graph { try ModelLoader.load(try data(), file: file) }

    /// The graph built so far as a subgraph (an attribute of If, Loop or Scan), named `name`.
    public func body(_ name: String) -> Onnx_GraphProto {
        var g = model.graph
        g.name = name
        return g
    }
}
