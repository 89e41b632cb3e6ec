import QBEngine
import QBTensor

/// A layer the quantizers can replace: a Conv (1-D or 2-D, any groups), a Gemm or a MatMul whose weight
/// is a constant, seen as a weight matrix `W[M][K]` applied to patches of its input.
///
/// For a Conv, row m is output channel m and column k = (c * kh + i) * kw + j indexes the input channel
/// c of the row's group and the tap (i, j), so `taps = kh * kw` and the input channel of k is
/// `k / taps`. For Gemm/MatMul, `W` is the weight as [out features][in features] and `taps = 1`.
public struct LayerSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        case conv(group: Int, kernel: [Int])
        case linear
    }

    public var node: Node
    public var kind: Kind
    public var input: String
    public var output: String
    /// Output channels (Conv) or features (Gemm, MatMul).
    public var rows: Int
    /// Weights per row: input channels per group x taps, or input features.
    public var depth: Int
    public var taps: Int
    public var weights: [Float]
    public var bias: [Float]?
    /// The fused activation clamp (from ReLU / Clip fusion): [lo, hi].
    public var lo: Float
    public var hi: Float
    /// The initializer names the layer reads (its weight and bias), which the quantized graph drops.
    public var constants: [String]

    public var name: String { node.name.isEmpty ? output : node.name }
    public var group: Int { if case .conv(let g, _) = kind { return g } else { return 1 } }
    public var opType: String { node.opType }

    /// The quantizable layers of an (optimized) graph, in graph order. Gemm needs transA = 0, alpha =
    /// beta = 1 and a constant per-output bias; MatMul needs a constant 2-D second operand. Attention's
    /// MatMuls (both operands computed) stay in FP32.
    public static func find(in graph: Graph) -> [LayerSpec] {
        var out = [LayerSpec]()
        for n in graph.nodes {
            guard n.domain.isEmpty, n.outputs.count == 1, n.inputs.count >= 2, graph.initializers[n.inputs[0]] == nil,
                let w = graph.initializers[n.inputs[1]], w.type.isFloat
            else { continue }
            let biasName = n.inputs.count > 2 && !n.inputs[2].isEmpty ? n.inputs[2] : nil
            let bias = biasName.flatMap { graph.initializers[$0] }
            if biasName != nil && bias == nil { continue }
            switch n.opType {
            case "Gemm":
                guard (attributeInt(n, "transA") ?? 0) == 0, (attributeFloat(n, "alpha") ?? 1) == 1,
                    (attributeFloat(n, "beta") ?? 1) == 1
                else { continue }
            case "MatMul":
                if biasName != nil { continue }
            case "Conv":
                break
            default:
                continue
            }
            // One reading of an operator's geometry, shared with loading a .qbqm file.
            guard var spec = try? LayerSpec(node: n, weightShape: w.shape, file: graph.file),
                bias == nil || bias!.count == spec.rows
            else { continue }
            let f = w.floats
            if case .linear = spec.kind, !weightTransposed(n) {
                let (m, k) = (spec.rows, spec.depth)
                spec.weights = (0..<(m * k)).map { f[($0 % k) * m + $0 / k] }  // [K][M] -> [M][K]
            } else {
                spec.weights = f
            }
            spec.bias = bias?.floats
            spec.constants = [n.inputs[1]] + (biasName.map { [$0] } ?? [])
            out.append(spec)
        }
        return out
    }

    static func attributeFloat(_ n: Node, _ key: String) -> Float? {
        switch n.attributes[key] {
        case .float(let v)?: return v
        case .int(let v)?: return Float(v)
        default: return nil
        }
    }

    /// Whether a Gemm node holds its weight as [out][in] (`transB`); MatMul and a plain Gemm hold [in][out].
    static func weightTransposed(_ n: Node) -> Bool { n.opType == "Gemm" && (attributeInt(n, "transB") ?? 0) != 0 }

    /// The output positions (GEMM columns) of one call for an output of `shape`: rows of a linear layer,
    /// batch x spatial positions of a convolution.
    func columns(outputShape shape: [Int]) -> Int {
        switch kind {
        case .linear: return shape.dropLast().reduce(1, *)
        case .conv: return shape[0] * shape.dropFirst(2).reduce(1, *)
        }
    }

    static func attributeInt(_ n: Node, _ key: String) -> Int? {
        if case .int(let v)? = n.attributes[key] { return v }
        return nil
    }

    /// The output shape for an input shape.
    public func outputShape(_ x: [Dim], file: String) throws -> [Dim] {
        switch kind {
        case .linear:
            guard let last = x.last else {
                throw QuantError(file: file, layer: name, "a linear layer's input needs rank >= 1")
            }
            if let k = last.value, k != depth {
                throw QuantError(file: file, layer: name, "input has \(k) features, the layer \(depth)")
            }
            return Array(x.dropLast()) + [.fixed(rows)]
        case .conv(_, let kernel):
            guard x.count == kernel.count + 2 else {
                throw QuantError(
                    file: file, layer: name, "input rank \(x.count) does not fit a \(kernel.count)-D convolution")
            }
            let spatial = x.dropFirst(2)
            guard spatial.allSatisfy({ $0.value != nil }) else {
                return [x[0], .fixed(rows)] + spatial.map { _ in .unknown }
            }
            let w = try ConvWindow(node: node, file: file, inSize: spatial.map { $0.value! }, kernel: kernel)
            return [x[0], .fixed(rows)] + w.outSize.map { .fixed($0) }
        }
    }
}

/// What went wrong in the quantization phase.
public enum QuantErrorKind: String, ErrorKind {
    /// Quantizing the model failed (a layer or calibration the method cannot take).
    case quantization = "quantization failed"
    /// A method's setting out of range.
    case badSetting = "bad setting"
    /// A `.qbqm` file that is damaged or not one.
    case corruptFile = "corrupt file"
    /// An integer kernel refused a layer or could not allocate its buffers.
    case kernel = "kernel failure"
}

/// The quantization phase's error: the model file, what kind of failure, the layer and the reason.
public typealias QuantError = PhaseError<QuantErrorKind>

extension PhaseError where Kind == QuantErrorKind {
    public init(_ kind: Kind = .quantization, file: String, layer: String? = nil, _ reason: String) {
        self.init(kind, file: file, line: nil, subject: layer.map { "layer '\($0)'" }, reason)
    }
}
