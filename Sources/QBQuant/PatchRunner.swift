import CKernels
import QBEngine
import QBTensor

/// Runs an integer kernel over a layer's input: unfolds the centered codes into patches per batch item
/// and group (Conv) or transposes them (linear), splits the columns among threads (each element is
/// computed the same way whatever the split) and lays the result out as the float op would.
enum PatchRunner {
    /// `input` holds the layer's float input; `quant` gives its centered codes. Convolutions that the kernel
    /// computes from HWC codes quantize each (item, group) plane as they go (no tensor of codes); the other
    /// forms quantize the whole input first.
    static func run(
        _ spec: LayerSpec, file: String, shape: [Int], input: [Float], quant: AffineQuant, kernel: IntegerKernel,
        threads: Int
    ) throws -> (Value, OpCounts) {
        do {
            return try runKernel(
                spec, file: file, shape: shape, input: input, quant: quant, kernel: kernel, threads: threads)
        } catch let failure as KernelFailure {
            throw QuantError(.kernel, file: file, layer: spec.name, failure.reason)
        }
    }

    private static func runKernel(
        _ spec: LayerSpec, file: String, shape: [Int], input: [Float], quant: AffineQuant,
        kernel: IntegerKernel, threads: Int
    ) throws -> (Value, OpCounts) {
        switch spec.kind {
        case .linear:
            guard let depth = shape.last, depth == spec.depth else {
                throw QuantError(file: file, layer: spec.name, "input \(shape) does not end in \(spec.depth) features")
            }
            let inputRows = shape.dropLast().reduce(1, *), outShape = Array(shape.dropLast()) + [spec.rows]
            if let fused = kernel.fusedLinearForm, inputRows > 0 {
                let (out, counts) = try fusedLinear(
                    fused, input: input, inputRows: inputRows, outputFeatures: spec.rows, depth: depth,
                    quant: quant, threads: threads)
                return (Value(shape: outShape, floats: out), counts)
            }
            let (out, counts) = try linear(
                spec, input: input, inputRows: inputRows, quant: quant, kernel: kernel, threads: threads)
            return (Value(shape: outShape, floats: out), counts)
        case .conv(let group, let kernelSize):
            guard shape.count == kernelSize.count + 2, shape[1] * kernelSize.reduce(1, *) == spec.depth * group else {
                throw QuantError(
                    file: file, layer: spec.name,
                    "input \(shape) does not fit the layer (\(spec.depth / spec.taps) channels per group x \(group) "
                        + "groups)"
                )
            }
            let window = try ConvWindow(
                node: spec.node, file: file, inSize: Array(shape.dropFirst(2)), kernel: kernelSize)
            let plan = ConvolutionPlan(spec: spec, shape: shape, group: group, window: window)
            let outShape = [plan.items, spec.rows] + window.outSize
            // Depthwise (one input and one output channel per group): straight on the planes.
            if plan.channelsPerGroup == 1 && plan.rowsPerGroup == 1 && spec.depth == window.kh * window.kw,
                let depthwise = kernel.depthwiseForm
            {
                let (out, counts) = try self.depthwise(
                    plan, input: input, quant: quant, kernel: depthwise, threads: threads)
                return (Value(shape: outShape, floats: out), counts)
            }
            // Patches built block by block from HWC unsigned codes inside the kernel.
            if let hwcKernel = kernel.hwcConvolutionForm {
                let (out, counts) = try hwcConvolution(
                    plan, input: input, quant: quant, kernel: hwcKernel, threads: threads)
                return (Value(shape: outShape, floats: out), counts)
            }
            let (out, counts) = try patchConvolution(
                plan, input: input, quant: quant, kernel: kernel, threads: threads)
            return (Value(shape: outShape, floats: out), counts)
        }
    }

    /// A convolution's geometry as the runners need it.
    struct ConvolutionPlan {
        let spec: LayerSpec
        let items: Int, channels: Int, ih: Int, iw: Int, group: Int
        let channelsPerGroup: Int, rowsPerGroup: Int
        /// Output positions per plane.
        let cols: Int
        let geo: qb_conv_geo

        init(spec: LayerSpec, shape: [Int], group: Int, window w: ConvWindow) {
            self.spec = spec
            items = shape[0]
            channels = shape[1]
            ih = shape.count == 4 ? shape[2] : 1
            iw = shape[shape.count - 1]
            self.group = group
            channelsPerGroup = channels / group
            rowsPerGroup = spec.rows / group
            cols = w.oh * w.ow
            geo = qb_conv_geo(
                kh: Int32(w.kh), kw: Int32(w.kw), sh: Int32(w.sh), sw: Int32(w.sw), dh: Int32(w.dh), dw: Int32(w.dw),
                pt: Int32(w.pt), pl: Int32(w.pl), oh: Int32(w.oh), ow: Int32(w.ow))
        }
    }

    /// A linear layer from its transposed (or padded) centered codes, column blocks over the threads.
    private static func linear(
        _ spec: LayerSpec, input: [Float], inputRows: Int, quant: AffineQuant, kernel: IntegerKernel, threads: Int
    ) throws -> ([Float], OpCounts) {
        var out = uninitializedFloats(inputRows * spec.rows)
        let patches = linearPatches(
            quant.centered(input, threads: threads), rows: inputRows, depth: spec.depth, layout: kernel.layout)
        let counts = try out.withUnsafeMutableBufferPointer { po in
            let o = SharedPointer(po.baseAddress!), rows = spec.rows, inputScale = quant.scale
            return try columns(
                inputRows, patches: patches, layout: kernel.layout, threads: threads,
                work: inputRows * spec.rows * spec.depth
            ) { j0, n, p, ldp in
                try kernel.compute(
                    rows: 0..<rows, patches: p, ldp: ldp, cols: n, inputScale: inputScale,
                    out: o.base + j0 * rows, rs: 1, cs: rows)
            }
        }
        return (out, counts)
    }

    /// A depthwise convolution on the planes of centered codes, channels split among threads (each channel computed
    /// the same way whatever the split).
    private static func depthwise(
        _ plan: ConvolutionPlan, input: [Float], quant: AffineQuant, kernel: any DepthwiseKernel, threads: Int
    ) throws -> ([Float], OpCounts) {
        let (n, c, ih, iw, cols, rows) = (plan.items, plan.channels, plan.ih, plan.iw, plan.cols, plan.spec.rows)
        let geo = plan.geo, inputScale = quant.scale
        var out = uninitializedFloats(n * rows * cols)
        let parts = max(1, min(threads, (c * cols * plan.spec.depth) >> 16, c))
        let slots = ResultSlots(n * parts), codes = quant.centered(input, threads: threads)
        codes.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                let xs = SharedConstPointer(px.baseAddress!), os = SharedPointer(po.baseAddress!)
                // Every (item, channel range) is a task; the ranges depend on the thread count, each channel's
                // sums do not.
                Parallel.forEach(count: n * parts, workers: threads) { t in
                    let b = t / parts, i = t % parts
                    let lo = c * i / parts, hi = c * (i + 1) / parts
                    guard lo < hi else { return }
                    slots.set(t) {
                        try kernel.depthwise(
                            rows: lo..<hi, codes: xs.pointer + (b * c + lo) * ih * iw, ih: ih, iw: iw, geo: geo,
                            inputScale: inputScale, out: os.base + (b * rows + lo) * cols)
                    }
                }
            }
        }
        return (out, try slots.total())
    }

    /// A convolution the kernel computes from each (item, group) plane quantized to HWC unsigned codes as it is
    /// reached (no tensor of codes).
    private static func hwcConvolution(
        _ plan: ConvolutionPlan, input: [Float], quant: AffineQuant, kernel: any HWCConvolutionKernel, threads: Int
    ) throws -> ([Float], OpCounts) {
        let (n, c, ih, iw, cols, group) = (plan.items, plan.channels, plan.ih, plan.iw, plan.cols, plan.group)
        let (cg, mg, rows, geo, inputScale) = (
            plan.channelsPerGroup, plan.rowsPerGroup, plan.spec.rows, plan.geo, quant.scale
        )
        var out = uninitializedFloats(n * rows * cols)
        let hwcZero = Int32(kernel.hwcZeroPoint), tasks = n * group, plane = cg * ih * iw
        let (scale, zero, qmax) = (quant.scale, Int32(quant.zeroPoint), Int32(quant.qmax))
        // (item, group) planes over the threads when there are enough for all of them, else each plane's
        // columns over the threads (each element is computed the same way either way).
        let outer = tasks >= threads ? threads : 1, inner = outer > 1 ? 1 : threads
        let slots = ResultSlots(tasks), work = cols * mg * plan.spec.depth
        input.withUnsafeBufferPointer { px in
            out.withUnsafeMutableBufferPointer { po in
                let xs = SharedConstPointer(px.baseAddress!), os = SharedPointer(po.baseAddress!)
                Parallel.forEach(count: tasks, workers: outer) { t in
                    let b = t / group, g = t % group
                    // The plane's centered codes (qb_quantize_i16, as `AffineQuant.centered`), then HWC
                    // unsigned codes.
                    let centered = UnsafeMutablePointer<Int16>.allocate(capacity: max(plane, 1))
                    defer { centered.deallocate() }
                    let hwc = UnsafeMutablePointer<UInt8>.allocate(capacity: max(plane, 1))
                    defer { hwc.deallocate() }
                    qb_quantize_i16(xs.pointer + (b * c + g * cg) * ih * iw, plane, scale, zero, qmax, centered)
                    qb_hwc_u8(centered, Int32(cg), Int32(ih * iw), hwcZero, hwc)
                    let codes = SharedConstPointer(hwc), base = SharedPointer(os.base + (b * rows + g * mg) * cols)
                    slots.set(t) {
                        try split(cols, threads: inner, work: work) { j0, m in
                            try kernel.convolve(
                                group: g, hwc: codes.pointer, channels: cg, ih: ih, iw: iw, geo: geo, first: j0,
                                cols: m, inputScale: inputScale, out: base.base + j0, rs: cols)
                        }
                    }
                }
            }
        }
        return (out, try slots.total())
    }

    /// A convolution through an explicit patch matrix per (item, group) (C `qb_im2col_i16` / `qb_im2row_i16`),
    /// column blocks over the threads.
    private static func patchConvolution(
        _ plan: ConvolutionPlan, input: [Float], quant: AffineQuant, kernel: IntegerKernel, threads: Int
    ) throws -> ([Float], OpCounts) {
        let (n, c, ih, iw, cols, group) = (plan.items, plan.channels, plan.ih, plan.iw, plan.cols, plan.group)
        let (cg, mg, rows, k, geo, inputScale) = (
            plan.channelsPerGroup, plan.rowsPerGroup, plan.spec.rows, plan.spec.depth, plan.geo, quant.scale
        )
        var out = uninitializedFloats(n * rows * cols)
        var counts = OpCounts()
        let codes = quant.centered(input, threads: threads)
        var pt = [Int16](), pc = [Int16]()
        if kernel.layout == .kMajor { pt = [Int16](repeating: 0, count: k * cols) }
        if case .columnMajor(let ld) = kernel.layout { pc = [Int16](repeating: 0, count: cols * ld) }
        try codes.withUnsafeBufferPointer { px in
            try out.withUnsafeMutableBufferPointer { po in
                for b in 0..<n {
                    for g in 0..<group {
                        let xg = px.baseAddress! + (b * c + g * cg) * ih * iw
                        let patches: [Int16]
                        if case .columnMajor(let ld) = kernel.layout {
                            pc.withUnsafeMutableBufferPointer {
                                qb_im2row_i16(xg, Int32(cg), Int32(ih), Int32(iw), geo, $0.baseAddress!, ld)
                            }
                            patches = pc
                        } else {
                            pt.withUnsafeMutableBufferPointer {
                                qb_im2col_i16(xg, Int32(cg), Int32(ih), Int32(iw), geo, $0.baseAddress!, cols)
                            }
                            patches = pt
                        }
                        let base = SharedPointer(po.baseAddress! + (b * rows + g * mg) * cols)
                        counts =
                            counts
                            + (try columns(
                                cols, patches: patches, layout: kernel.layout, threads: threads, work: cols * mg * k
                            ) { j0, m, p, ldp in
                                try kernel.compute(
                                    rows: (g * mg)..<((g + 1) * mg), patches: p, ldp: ldp, cols: m,
                                    inputScale: inputScale, out: base.base + j0, rs: cols, cs: 1)
                            })
                    }
                }
            }
        }
        return (out, counts)
    }

    /// A linear layer's patches: the codes [rows][depth] transposed (k-major) or zero-padded per row.
    static func linearPatches(_ codes: [Int16], rows: Int, depth: Int, layout: PatchLayout) -> [Int16] {
        switch layout {
        case .kMajor:
            var pt = [Int16](repeating: 0, count: rows * depth)
            codes.withUnsafeBufferPointer { src in
                pt.withUnsafeMutableBufferPointer {
                    qb_transpose_i16(Int32(rows), Int32(depth), src.baseAddress!, depth, $0.baseAddress!, rows)
                }
            }
            return pt
        case .columnMajor(let ld):
            if ld == depth { return codes }
            var p = [Int16](repeating: 0, count: rows * ld)
            for r in 0..<rows { for k in 0..<depth { p[r * ld + k] = codes[r * depth + k] } }
            return p
        }
    }

    /// Splits `cols` columns into blocks (multiples of 64) over threads when the work is large enough;
    /// `body(first, count)` computes one block.
    static func split(_ cols: Int, threads: Int, work: Int, _ body: @Sendable (Int, Int) throws -> OpCounts) throws
        -> OpCounts
    {
        guard cols > 0 else { return OpCounts() }
        let workers = work < 1 << 20 ? 1 : max(1, min(threads, (cols + 63) / 64))
        let block = ((cols + workers - 1) / workers + 63) / 64 * 64
        let parts = (cols + block - 1) / block
        let results = ResultSlots(parts)
        Parallel.forEach(count: parts, workers: workers) { i in
            let j0 = i * block
            results.set(i) { try body(j0, min(block, cols - j0)) }
        }
        return try results.total()
    }

    /// `split` over a patch matrix: `body(first, count, patches of the first column, their stride)`.
    static func columns(
        _ cols: Int, patches: [Int16], layout: PatchLayout, threads: Int, work: Int,
        _ body: @Sendable (Int, Int, UnsafePointer<Int16>, Int) throws -> OpCounts
    ) throws -> OpCounts {
        try patches.withUnsafeBufferPointer { pp in
            let base = SharedConstPointer(pp.baseAddress!)
            return try split(cols, threads: threads, work: work) { j0, n in
                switch layout {
                case .kMajor: try body(j0, n, base.pointer + j0, cols)
                case .columnMajor(let ld): try body(j0, n, base.pointer + j0 * ld, ld)
                }
            }
        }
    }
}

/// One slot per parallel part (each written by one worker): its counts, or the error it threw.
final class ResultSlots: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Result<OpCounts, any Error>>
    init(_ n: Int) {
        slots = .allocate(capacity: max(n, 1))
        slots.initialize(repeating: .success(OpCounts()))
    }
    deinit {
        _ = slots.deinitialize()
        slots.deallocate()
    }
    /// Runs part `i` and keeps what it returned or threw.
    func set(_ i: Int, _ part: () throws -> OpCounts) { slots[i] = Result { try part() } }
    /// The sum of the parts' counts; the first part's error, in part order, if any failed.
    func total() throws -> OpCounts { try slots.reduce(OpCounts()) { try $0 + $1.get() } }
}

/// Runs `body(out, rs, cs)` so that it writes rows with unit column stride: a linear layer's transposed
/// output ([cols][rows], rs = 1) goes through a [rows][cols] buffer and a tiled transpose (element-by-element
/// strided stores would dominate); any other layout is passed through.
/// `scratch` (rows * cols floats), when given, is the buffer: callers in a loop allocate it once.
func withUnitColumnStride(
    rows: Int, cols: Int, out: UnsafeMutablePointer<Float>, rs: Int, cs: Int,
    scratch: UnsafeMutablePointer<Float>? = nil,
    _ body: (UnsafeMutablePointer<Float>, Int, Int) -> Void
) {
    guard cs != 1, rs == 1, rows > 0, cols > 0 else { return body(out, rs, cs) }
    let tmp = scratch ?? UnsafeMutablePointer<Float>.allocate(capacity: rows * cols)
    defer { if scratch == nil { tmp.deallocate() } }
    body(tmp, cols, 1)
    qb_transpose_f32(Int32(rows), Int32(cols), tmp, cols, out, cs)
}

/// `count` floats left uninitialized, for outputs that a kernel writes in full (zero-filling them first was a
/// whole extra pass over the largest tensors).
func uninitializedFloats(_ count: Int) -> [Float] {
    [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
}

/// Runs `body` with a pointer to `values`' elements, or with nil when there are none (a layer without bias).
func withOptionalPointer<T>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> T) -> T {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress!) }
}
