import CKernels
import QBTensor

/// The engine's bridge to the vectorized element-wise math of `qb_vecmath.c`: exp, erf, tanh, sigmoid and
/// GELU over whole tensors (split over threads for large ones), and the row kernels of Softmax and
/// LayerNormalization. Every CPU path gives the same bits (fixed operation order, no libm); the accuracy
/// bounds are stated in `qb_vecmath.h` and checked in the tests.
enum VectorMath {
    enum Unary: Int32 {
        case exp = 0
        case erf
        case tanh
        case sigmoid
        case geluErf
        case geluTanh
        case relu
        case hardSwish
    }

    /// Tensors smaller than this run on one thread (the hand-off costs more than it saves).
    static let parallelThreshold = 1 << 16

    /// f(x) element by element; `param` is the GELU divisor (sqrt 2 in torch's export).
    static func map(_ op: Unary, _ x: [Float], param: Float = 0, threads: Int) -> [Float] {
        let n = x.count
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            x.withUnsafeBufferPointer { src in
                if n > 0 {
                    let input = SharedConstPointer(src.baseAddress!), output = SharedPointer(out.baseAddress!)
                    let parts = n < parallelThreshold ? 1 : max(1, threads)
                    let chunk = (n + parts - 1) / parts
                    Parallel.forEach(count: parts, workers: parts) { part in
                        let first = part * chunk, length = min(chunk, n - first)
                        guard length > 0 else { return }
                        // The op is one of the enum's cases, so the status is always 0.
                        let status = qb_vec_unary(
                            op.rawValue, input.pointer + first, output.base + first,
                            Int64(length), param)
                        precondition(status == 0, "qb_vec_unary rejected op \(op)")
                    }
                }
            }
            count = n
        }
    }

    /// Softmax or LogSoftmax of each of `rows` contiguous rows of `length` values, in place.
    static func softmaxRows(_ values: inout [Float], rows: Int, length: Int, log: Bool, threads: Int) {
        guard rows > 0, length > 0 else { return }
        values.withUnsafeMutableBufferPointer { buffer in
            let base = SharedPointer(buffer.baseAddress!)
            let parts = rows * length < parallelThreshold ? 1 : min(max(1, threads), rows)
            let chunk = (rows + parts - 1) / parts
            Parallel.forEach(count: parts, workers: parts) { part in
                let first = part * chunk, count = min(chunk, rows - first)
                guard count > 0 else { return }
                qb_softmax_rows(base.base + first * length, Int64(count), Int64(length), log ? 1 : 0)
            }
        }
    }

    /// LayerNormalization of `rows` rows of `length` values: the normalized rows and each row's mean and
    /// inverse standard deviation.
    static func layerNormRows(
        _ x: [Float], rows: Int, length: Int, scale: [Float], bias: [Float]?, epsilon: Float,
        threads: Int
    ) -> (out: [Float], means: [Float], inverses: [Float]) {
        var out = [Float](repeating: 0, count: x.count)
        var means = [Float](repeating: 0, count: rows), inverses = [Float](repeating: 0, count: rows)
        guard rows > 0, length > 0 else { return (out, means, inverses) }
        x.withUnsafeBufferPointer { src in
            scale.withUnsafeBufferPointer { sp in
                out.withUnsafeMutableBufferPointer { dst in
                    means.withUnsafeMutableBufferPointer { mp in
                        inverses.withUnsafeMutableBufferPointer { ip in
                            let input = SharedConstPointer(src.baseAddress!), output = SharedPointer(dst.baseAddress!)
                            let scales = SharedConstPointer(sp.baseAddress!)
                            let meanOut = SharedPointer(mp.baseAddress!), invOut = SharedPointer(ip.baseAddress!)
                            let parts = rows * length < parallelThreshold ? 1 : min(max(1, threads), rows)
                            let chunk = (rows + parts - 1) / parts
                            func run(_ biases: SharedConstPointer<Float>?) {
                                Parallel.forEach(count: parts, workers: parts) { part in
                                    let first = part * chunk, count = min(chunk, rows - first)
                                    guard count > 0 else { return }
                                    qb_layernorm_rows(
                                        input.pointer + first * length, output.base + first * length, Int64(count),
                                        Int64(length), scales.pointer, biases?.pointer, epsilon,
                                        meanOut.base + first, invOut.base + first)
                                }
                            }
                            if let bias {
                                bias.withUnsafeBufferPointer { run(SharedConstPointer($0.baseAddress!)) }
                            } else {
                                run(nil)
                            }
                        }
                    }
                }
            }
        }
        return (out, means, inverses)
    }
}
