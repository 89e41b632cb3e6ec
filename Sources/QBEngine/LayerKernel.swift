/// A layer computed by a kernel that lives outside the operator table: how the quantizers replace a
/// Conv, Gemm or MatMul with their integer (or simulated) form without the engine knowing their formats.
///
/// In a graph, such a layer is a node of domain `LayerKernels.domain` and type `LayerKernels.opType`
/// with one input and one output; `Graph.kernels[node.name]` holds its kernel.
public protocol LayerKernel: Sendable {
    /// The output shape for an input shape (dimensions may be symbolic); throws if the input does not fit.
    func outputShape(_ input: [Dim]) throws -> [Dim]
    /// Computes the layer's output from its (float) input.
    func run(_ x: Value, threads: Int) throws -> Value
}

public enum LayerKernels {
    public static let domain = "com.quantbench"
    public static let opType = "Layer"

    /// A node that runs `Graph.kernels[name]` on `input`.
    public static func node(name: String, input: String, output: String) -> Node {
        Node(name: name, opType: opType, domain: domain, inputs: [input], outputs: [output])
    }
}

extension Node {
    /// Whether the node is a kernel layer (`LayerKernels`).
    public var isKernelLayer: Bool { domain == LayerKernels.domain && opType == LayerKernels.opType }
}
