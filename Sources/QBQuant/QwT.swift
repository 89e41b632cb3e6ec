import Foundation
import QBEngine

/// QwT's settings (Fu et al. 2025, "Quantization without Tears").
public struct QwTSettings: Sendable, Equatable, Codable {
    /// Calibration samples for the fit (the paper: 512).
    public var samples: Int
    /// Ridge regularization; nil: 1e-3 for convolutional blocks, 0 for token blocks (the paper's code).
    public var lambda: Double?
    /// Input channels per group of a convolutional block's compensation (the paper: 64).
    public var groupChannels: Int
    /// Blocks as [input, output] value pairs instead of those found from the residual Adds.
    public var blocks: [[String]]?

    public init(samples: Int = 512, lambda: Double? = nil, groupChannels: Int = 64, blocks: [[String]]? = nil) {
        self.samples = samples
        self.lambda = lambda
        self.groupChannels = groupChannels
        self.blocks = blocks
    }
}

/// What the fit of one block came out as.
public struct BlockReport: Sendable, Codable, Equatable {
    public var input: String
    public var output: String
    /// "conv 1x1 g=1 s=2" or "linear".
    public var form: String
    /// R^2 of the compensation on the target Y - Y_q (with fp16 weights): 1 - SS_res / SS_tot, SS_tot about
    /// each output channel's mean over all rows.
    public var r2: Double
    /// ||Y - Y_q||^2 / ||Y||^2 before, and ||Y - Y_q - comp||^2 / ||Y||^2 after (equal to before when gated).
    public var errorBefore: Double
    public var errorAfter: Double
    /// Whether the R^2 gate zeroed the compensation (R^2 <= 0), so no layer was added.
    public var gated: Bool
    /// The regularization used (more than asked when the normal equations were singular).
    public var lambda: Double
    /// Bytes the compensation adds: fp16 weights and fp32 bias.
    public var bytes: Int
    public var rows: Int
    public var seconds: Double

    public init(
        input: String, output: String, form: String, r2: Double, errorBefore: Double, errorAfter: Double, gated: Bool,
        lambda: Double,
        bytes: Int, rows: Int, seconds: Double
    ) {
        self.input = input
        self.output = output
        self.form = form
        self.r2 = r2
        self.errorBefore = errorBefore
        self.errorAfter = errorAfter
        self.gated = gated
        self.lambda = lambda
        self.bytes = bytes
        self.rows = rows
        self.seconds = seconds
    }
}

/// QwT: one linear compensation per block on top of any quantized model (Fu, Yu, Shao, Zhou, Zhu, Wu,
/// CVPR 2025, arXiv 2411.13918).
///
/// A compensated block computes `y = B_q(x_q) + x_q W + b`, where `x_q` is the block's input inside the
/// quantized network (already compensated upstream). The target is `Y - Y_q` with `Y = B_fp(X_q)` (the
/// same block with FP32 layers on the same quantized input) and `Y_q = B_q(X_q)`; blocks are fitted in
/// order, each seeing the compensated output of the one before. Closed form with `X~ = [X_q, 1]`:
/// `[W; b] = (X~^T X~ + lambda I)^-1 X~^T (Y - Y_q)` (`RidgeFit`, Float64, Cholesky). A convolutional
/// block's compensation is a grouped 1x1 convolution (`groupChannels` input channels per group) with the
/// block's stride, rows = samples x output positions; a token block's is a linear map of the last axis,
/// rows = tokens. The R^2 gate drops a compensation whose R^2 <= 0. Weights are stored as fp16, the bias
/// as fp32; both count in the model's bytes.
public enum QwT {
    struct Stop: Error {}

    /// Adds the compensations to `model`, fitted on `feeds` against `reference` (the optimized FP32 graph
    /// the model was quantized from). `progress` is told each block as it starts.
    public static func compensate(
        _ model: QuantizedModel, reference: Graph, feeds: [[String: Value]], settings: QwTSettings = QwTSettings(),
        threads: Int = 1, progress: ((Int, Int) -> Void)? = nil
    ) throws -> QuantizedModel {
        let start = DispatchTime.now().uptimeNanoseconds
        let file = reference.file
        var blocks = ResidualBlocks.find(in: reference)
        if let custom = settings.blocks {
            let known = Set(reference.nodes.flatMap(\.outputs)).union(reference.inputs.map(\.name))
            let kernelOutputs = Set(model.graph.nodes.filter(\.isKernelLayer).flatMap(\.outputs))
            blocks = try custom.map { pair in
                guard pair.count == 2, known.contains(pair[0]), known.contains(pair[1]) else {
                    throw QuantError(file: file, "QwT block \(pair) must be two values of the graph: [input, output]")
                }
                // The compensation renames the output's producer, which a quantized layer's node must not be.
                guard !kernelOutputs.contains(pair[1]) else {
                    throw QuantError(
                        file: file,
                        "QwT block \(pair): the output is a quantized layer's own output; end the block at a later "
                            + "value"
                    )
                }
                return ResidualBlock(input: pair[0], output: pair[1])
            }
            guard Set(blocks.map(\.output)).count == blocks.count else {
                throw QuantError(file: file, "QwT: two blocks end at the same value")
            }
        }
        guard !blocks.isEmpty else {
            throw QuantError(
                file: file, "QwT: the graph has no residual block to compensate (give the blocks in the suite file)")
        }
        guard settings.groupChannels >= 1 else { throw QuantError(file: file, "QwT: group channels must be positive") }
        let fp = try Session(graph: reference, options: SessionOptions(optimize: false, threads: threads))
        var out = model
        for (k, block) in blocks.enumerated() {
            progress?(k, blocks.count)
            let t0 = DispatchTime.now().uptimeNanoseconds
            let qs = try Session(graph: out.graph, options: SessionOptions(optimize: false, threads: threads))
            var fit: Fit? = nil
            var sumY2 = 0.0
            for feed in feeds {
                var xq: Value? = feed[block.input], yq: Value? = nil, y: Value? = nil
                do {
                    _ = try qs.run(
                        feed,
                        hook: { name, _, v in
                            if name == block.input { xq = v }
                            if name == block.output {
                                yq = v
                                throw Stop()
                            }
                            return nil
                        })
                } catch is Stop {}
                guard let x = xq, let q = yq else {
                    throw QuantError(file: file, "QwT: block \(block.input) -> \(block.output) was not computed")
                }
                do {
                    _ = try fp.run(
                        feed,
                        hook: { name, _, v in
                            if name == block.input { return x }
                            if name == block.output {
                                y = v
                                throw Stop()
                            }
                            return nil
                        })
                } catch is Stop {}
                guard let y else {
                    throw QuantError(file: file, "QwT: block output \(block.output) was not computed in FP32")
                }
                if fit == nil {
                    fit = try Fit(
                        x: x.shape, y: y.shape, groupChannels: settings.groupChannels, file: file, block: block)
                }
                try fit!.check(x: x.shape, y: y.shape, yq: q.shape, file: file, block: block)
                let yf = y.floats, qf = q.floats
                let target = (0..<yf.count).map { yf[$0] - qf[$0] }
                for v in yf { sumY2 += Double(v) * Double(v) }
                try fit!.add(x: x.floats, xShape: x.shape, target: target, tShape: y.shape)
            }
            guard let fit else { throw QuantError(file: file, "QwT: no calibration samples") }
            let lambda = settings.lambda ?? (fit.conv ? 1e-3 : 0)
            let report = try fit.solve(
                lambda: lambda, sumY2: sumY2, block: block, index: k, graph: &out,
                seconds: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            out.blocks.append(report)
        }
        progress?(blocks.count, blocks.count)
        out.calibrationSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return out
    }

    /// The streamed fit of one block: one `RidgeFit` per group.
    struct Fit {
        let conv: Bool
        let groups: Int
        let stride: Int
        let inChannels: Int
        let outChannels: Int
        var fits: [RidgeFit]

        init(x: [Int], y: [Int], groupChannels: Int, file: String, block: ResidualBlock) throws {
            let what = "QwT block \(block.input) -> \(block.output)"
            if x.count == 4 && y.count == 4 {
                guard x[0] == y[0] else { throw QuantError(file: file, "\(what): batch sizes differ") }
                let s =
                    x[2] == y[2] && x[3] == y[3]
                    ? 1 : ((x[2] - 1) / 2 + 1 == y[2] && (x[3] - 1) / 2 + 1 == y[3] ? 2 : 0)
                guard s > 0 else {
                    throw QuantError(file: file, "\(what): input \(x) and output \(y) are not related by stride 1 or 2")
                }
                var g = max(x[1] / groupChannels, 1)
                if x[1] % g != 0 || y[1] % g != 0 { g = 1 }
                conv = true
                groups = g
                stride = s
                inChannels = x[1]
                outChannels = y[1]
            } else {
                guard x.count >= 2, x.dropLast() == y.dropLast() else {
                    throw QuantError(
                        file: file,
                        "\(what): input \(x) and output \(y) must share all axes but the last (tokens x features) or "
                            + "be NCHW"
                    )
                }
                conv = false
                groups = 1
                stride = 1
                inChannels = x.last!
                outChannels = y.last!
            }
            let fit = RidgeFit(inputs: inChannels / groups, targets: outChannels / groups)
            fits = [RidgeFit](repeating: fit, count: groups)
        }

        /// Every sample must have the first one's geometry (the stride and groups were chosen from it).
        func check(x: [Int], y: [Int], yq: [Int], file: String, block: ResidualBlock) throws {
            let ok =
                y == yq && x.count == y.count
                && (conv
                    ? x[1] == inChannels && y[1] == outChannels && x[0] == y[0]
                        && (stride == 1
                            ? x[2] == y[2] && x[3] == y[3] : (x[2] - 1) / 2 + 1 == y[2] && (x[3] - 1) / 2 + 1 == y[3])
                    : x.last == inChannels && y.last == outChannels && x.dropLast() == y.dropLast())
            guard ok else {
                throw QuantError(
                    file: file,
                    "QwT block \(block.input) -> \(block.output): a calibration sample's shapes \(x) -> \(y) "
                        + "(quantized \(yq)) differ from the first sample's"
                )
            }
        }

        var form: String {
            conv
                ? "conv 1x1, \(groups) group\(groups == 1 ? "" : "s"), stride \(stride)"
                : "linear \(inChannels)x\(outChannels)"
        }

        mutating func add(x: [Float], xShape: [Int], target t: [Float], tShape: [Int]) throws {
            let ci = inChannels / groups, co = outChannels / groups
            if conv {
                let n = xShape[0], h = xShape[2], w = xShape[3], oh = tShape[2], ow = tShape[3], count = n * oh * ow
                for g in 0..<groups {
                    var xc = [Float](repeating: 0, count: ci * count), tc = [Float](repeating: 0, count: co * count)
                    for j in 0..<ci {
                        let c = g * ci + j
                        for b in 0..<n {
                            for i in 0..<oh {
                                for k in 0..<ow {
                                    xc[j * count + (b * oh + i) * ow + k] =
                                        x[((b * inChannels + c) * h + i * stride) * w + k * stride]
                                }
                            }
                        }
                    }
                    for j in 0..<co {
                        let c = g * co + j
                        for b in 0..<n {
                            for p in 0..<(oh * ow) {
                                tc[j * count + b * oh * ow + p] = t[(b * outChannels + c) * oh * ow + p]
                            }
                        }
                    }
                    fits[g].add(columnsX: xc, columnsT: tc, count: count)
                }
            } else {
                let count = x.count / inChannels
                var xc = [Float](repeating: 0, count: x.count), tc = [Float](repeating: 0, count: t.count)
                for r in 0..<count {
                    for j in 0..<inChannels { xc[j * count + r] = x[r * inChannels + j] }
                    for j in 0..<outChannels { tc[j * count + r] = t[r * outChannels + j] }
                }
                fits[0].add(columnsX: xc, columnsT: tc, count: count)
            }
        }

        /// Solves every group, applies the R^2 gate, and inserts the compensation into `graph`.
        func solve(
            lambda: Double, sumY2: Double, block: ResidualBlock, index: Int, graph model: inout QuantizedModel,
            seconds: Double
        ) throws -> BlockReport {
            let ci = inChannels / groups, co = outChannels / groups
            var weights = [Float](repeating: 0, count: outChannels * ci),
                bias = [Float](repeating: 0, count: outChannels)
            var residual = 0.0, total = 0.0, squares = 0.0, used = lambda
            for g in 0..<groups {
                let s = try fits[g].solve(
                    lambda: lambda, file: model.graph.file, what: "QwT block \(block.input) -> \(block.output)")
                used = max(used, s.lambda)
                // Stored form: fp16 weights, fp32 bias; the statistics are those of the stored form.
                var beta = s.beta
                for j in 0..<ci {
                    for m in 0..<co {
                        let w = Float(Float16(Float(beta[j * co + m])))
                        beta[j * co + m] = Double(w)
                        weights[(g * co + m) * ci + j] = w
                    }
                }
                for m in 0..<co {
                    let b = Float(beta[ci * co + m])
                    beta[ci * co + m] = Double(b)
                    bias[g * co + m] = b
                }
                // Weights beyond fp16's range cannot be stored: statistics of the Float64 fit, and gated below.
                let st = fits[g].statistics(beta.allSatisfy(\.isFinite) ? beta : s.beta)
                residual += st.residual
                total += st.total
                squares += st.sumSquares
            }
            var r2 = total > 0 ? 1 - residual / total : 0
            if !r2.isFinite { r2 = 0 }
            let gated = !(r2 > 0) || !weights.allSatisfy(\.isFinite)
            let bytes = gated ? 0 : weights.count * 2 + bias.count * 4
            let denominator = max(sumY2, .leastNormalMagnitude)
            if !gated { try insert(block: block, index: index, weights: weights, bias: bias, into: &model) }
            return BlockReport(
                input: block.input, output: block.output, form: form, r2: r2, errorBefore: squares / denominator,
                errorAfter: (gated || !residual.isFinite ? squares : residual) / denominator, gated: gated,
                lambda: used, bytes: bytes,
                rows: fits.first?.rows ?? 0, seconds: seconds)
        }

        /// `output` is renamed `output#raw`; the compensation reads `input` and an Add writes `output` again,
        /// so every reader of the block's output sees the compensated value.
        func insert(block: ResidualBlock, index: Int, weights: [Float], bias: [Float], into model: inout QuantizedModel)
            throws
        {
            var g = model.graph
            guard let p = g.nodes.firstIndex(where: { $0.outputs.contains(block.output) }) else {
                throw QuantError(
                    file: g.file, "QwT: the block output \(block.output) has no producer in the quantized graph")
            }
            let raw = block.output + "#raw", prefix = "qwt\(index)"
            g.nodes[p].outputs = g.nodes[p].outputs.map { $0 == block.output ? raw : $0 }
            let w = prefix + ":weight", b = prefix + ":bias", delta = prefix + ":delta"
            var added = [Node]()
            if conv {
                g.initializers[w] = Value(shape: [outChannels, inChannels / groups, 1, 1], floats: weights)
                g.initializers[b] = Value(shape: [outChannels], floats: bias)
                added.append(
                    Node(
                        name: prefix, opType: "Conv", inputs: [block.input, w, b], outputs: [delta],
                        attributes: [
                            "group": .int(groups), "strides": .ints([stride, stride]), "kernel_shape": .ints([1, 1]),
                        ]))
            } else {
                // W as [in][out] for MatMul.
                var wt = [Float](repeating: 0, count: weights.count)
                for m in 0..<outChannels {
                    for j in 0..<inChannels { wt[j * outChannels + m] = weights[m * inChannels + j] }
                }
                g.initializers[w] = Value(shape: [inChannels, outChannels], floats: wt)
                g.initializers[b] = Value(shape: [outChannels], floats: bias)
                added.append(Node(name: prefix, opType: "MatMul", inputs: [block.input, w], outputs: [prefix + ":mm"]))
                added.append(
                    Node(name: prefix + ":bias", opType: "Add", inputs: [prefix + ":mm", b], outputs: [delta]))
            }
            added.append(Node(name: prefix + ":add", opType: "Add", inputs: [raw, delta], outputs: [block.output]))
            g.nodes.insert(contentsOf: added, at: p + 1)
            model.graph = g
            model.halfTensors.insert(w)
        }
    }
}
