import Foundation
import QBEngine

/// The requantization of a simulated int8 layer's output: `S (clamp(round(y / S) + Z, qmin, qmax) - Z)`.
struct OutputQuant: Sendable {
    let quant: AffineQuant
    let qmin: Int
    let qmax: Int

    func apply(_ ys: [Float]) -> [Float] {
        ys.map { y in
            var v = (y / quant.scale).rounded()
            if v.isNaN { v = 0 }
            let q = min(max(v + Float(quant.zeroPoint), Float(qmin)), Float(qmax))
            return quant.scale * (q - Float(quant.zeroPoint))
        }
    }
}

/// How a quantized layer computes.
enum LayerPath: Sendable {
    /// The deployed form: centered input codes through an integer kernel.
    case integer(IntegerKernel)
    /// The simulated form: fake-quantized input, dequantized weights in the FP32 operator, and for int8
    /// the output requantized the way the integer path does.
    case simulated(FloatLayer, output: OutputQuant?)
    /// Weight-only quantization: dequantized weights, float activations (no activation quantizer).
    case weightOnly(FloatLayer)
}

/// A quantized layer in a graph (`LayerKernels`): its input quantizer and its path. It counts the
/// kernel operations it performs.
final class QuantLayer: LayerKernel, @unchecked Sendable {
    let spec: LayerSpec
    let file: String
    let input: AffineQuant?
    /// The output quantizer of a layer whose kernel requantizes its output (int8), which a `.qbqm` file stores.
    let output: AffineQuant?
    let path: LayerPath
    private let lock = NSLock()
    private var performed = OpCounts()

    init(spec: LayerSpec, file: String, input: AffineQuant?, output: AffineQuant? = nil, path: LayerPath) {
        var s = spec
        s.weights = []  // the kernel holds its own form
        self.spec = s
        self.file = file
        self.input = input
        self.output = output
        self.path = path
    }

    /// The operations the kernel performed so far.
    var counts: OpCounts { lock.withLock { performed } }

    func outputShape(_ x: [Dim]) throws -> [Dim] { try spec.outputShape(x, file: file) }

    func run(_ x: Value, threads: Int) throws -> Value {
        guard x.type.isFloat else {
            throw QuantError(file: file, layer: spec.name, "input must be floating point, got \(x.signature)")
        }
        switch path {
        case .integer(let kernel):
            let (y, c) = try PatchRunner.run(
                spec, file: file, shape: x.shape, input: x.floats, quant: input!, kernel: kernel,
                threads: threads)
            lock.withLock { performed = performed + c }
            return y
        case .simulated(let layer, let output):
            let y = try layer.run(Value(shape: x.shape, floats: input!.fakeQuant(x.floats)), threads: threads)
            guard let output else { return y }
            return Value(shape: y.shape, floats: output.apply(y.floats))
        case .weightOnly(let layer):
            return try layer.run(x, threads: threads)
        }
    }
}
