import CKernels
import Foundation
import QBEngine
import QBTensor

/// Times the variants' kernels on one GEMM shape: `rows` weight rows (output channels), `cols` output
/// positions, `depth` weights per row, with deterministic pseudo-random weights and codes. Each timing
/// covers what a layer call does after its input is quantized: the kernel's own packing of the patches
/// (int8: to the column-major int16 layout), the arithmetic, and the epilogue (int8: requantization).
/// Returns the median seconds of `reps` runs after one warm-up; GOP/s = 2 rows cols depth / seconds.
public enum KernelBench {
    /// "fp32" and every registered method family (each timed with its first example settings).
    public static let kinds = ["fp32"] + MethodRegistry.standard.families

    public static func seconds(kind: String, rows: Int, cols: Int, depth: Int, threads: Int, reps: Int) throws -> Double
    {
        let weights = (0..<(rows * depth)).map { i -> Float in Float((i &* 2654435761) % 2001) / 1000 - 1 }
        let codes = (0..<(depth * cols)).map { i -> Int16 in Int16((i &* 40503) % 256) - 128 }  // k-major [depth][cols]
        let node = Node(
            name: "bench", opType: "Gemm", inputs: ["x", "w", "b"], outputs: ["y"], attributes: ["transB": .int(1)])
        let spec = LayerSpec(
            node: node,
            kind: .linear, input: "x", output: "y", rows: rows, depth: depth, taps: 1, weights: weights,
            bias: [Float](repeating: 0.5, count: rows), lo: 0, hi: .infinity, constants: [])
        let input = AffineQuant(scale: 0.02, zeroPoint: 128, bits: 8)
        var out = [Float](repeating: 0, count: rows * cols)
        var run: () -> Void
        var failed = false, failure: String?
        switch kind {
        case "fp32":
            let x = codes.map { Float($0) * 0.02 }
            run = {
                weights.withUnsafeBufferPointer { pw in
                    x.withUnsafeBufferPointer { px in
                        out.withUnsafeMutableBufferPointer { po in
                            if !GEMM.multiply(
                                m: rows, n: cols, k: depth, a: pw.baseAddress!, aRow: depth, aCol: 1,
                                b: px.baseAddress!, bRow: cols, bCol: 1,
                                c: po.baseAddress!, ldc: cols, bias: spec.bias, biasPerRow: true, lo: 0,
                                threads: threads)
                            {
                                failed = true
                            }
                        }
                    }
                }
            }
        case _ where MethodRegistry.standard.method(family: kind) != nil:
            let layer = try benchLayer(MethodRegistry.standard.method(family: kind)!, spec: spec, input: input)
            guard case .integer(let kernel) = layer.path else {
                throw QuantError(file: "bench", "\(kind) has no integer kernel")
            }
            run = {
                var patches = codes
                if case .columnMajor(let ld) = kernel.layout {
                    patches = [Int16](repeating: 0, count: cols * ld)
                    codes.withUnsafeBufferPointer { src in
                        patches.withUnsafeMutableBufferPointer {
                            qb_transpose_i16(Int32(depth), Int32(cols), src.baseAddress!, cols, $0.baseAddress!, ld)
                        }
                    }
                }
                out.withUnsafeMutableBufferPointer { po in
                    let o = SharedPointer(po.baseAddress!)
                    do {
                        _ = try PatchRunner.columns(
                            cols, patches: patches, layout: kernel.layout, threads: threads, work: Int.max
                        ) { j0, n, p, ldp in
                            try kernel.compute(
                                rows: 0..<rows, patches: p, ldp: ldp, cols: n, inputScale: 0.02, out: o.base + j0,
                                rs: cols, cs: 1)
                        }
                    } catch {
                        failure = "\(error)"
                    }
                }
            }
        default:
            throw QuantError(file: "bench", "unknown kernel \(kind) (known: \(kinds.joined(separator: ", ")))")
        }
        let seconds = LayerTiming.median(minimum: reps, budget: 0, run)
        if failed { throw QuantError(file: "bench", "the fp32 GEMM's packing buffers could not be allocated") }
        if let failure { throw QuantError(file: "bench", "the \(kind) kernel failed: \(failure)") }
        return seconds
    }

    /// A method's layer with its first example settings, input codes at `input`, output at scale 0.5.
    private static func benchLayer<Method: QuantizationMethod>(
        _ method: Method.Type, spec: LayerSpec,
        input: AffineQuant
    ) throws -> QuantLayer {
        let output = AffineQuant(scale: 0.5, zeroPoint: 0, bits: 8)
        return try Method.examples[0].quantize(
            spec, quantizer: { name, _ in name == spec.input ? input : output },
            integer: true, file: "bench"
        ).layer
    }

    /// The GEMM shapes (rows, cols, depth) of a model's quantizable layers for one input batch.
    public static func shapes(of session: Session, feeds: [String: Value]) throws -> [(
        name: String, rows: Int, cols: Int, depth: Int
    )] {
        let specs = LayerSpec.find(in: session.graph)
        var outputs = [String: [Int]]()
        let wanted = Set(specs.map(\.output))
        _ = try session.run(
            feeds,
            hook: { name, _, v in
                if wanted.contains(name) { outputs[name] = v.shape }
                return nil
            })
        return specs.compactMap { s in
            guard let shape = outputs[s.output] else { return nil }
            // A grouped convolution is `group` GEMMs of rows/group each.
            return (s.name, s.rows / s.group, s.columns(outputShape: shape) * s.group, s.depth)
        }
    }
}
