import CKernels
import QBEngine

/// FGQ ternary after Mellempudi et al. 2017 ("Ternary Neural Networks with Fine-Grained Quantization",
/// arXiv 1705.01462): weights in groups of N consecutive input channels at each tap (N = 4 by default;
/// nil = the whole layer is one group), each group `alpha_g * t`, `t` in {-1, 0, +1}:
/// `t_i = sign(w_i) [|w_i| > Delta_g]`, `alpha_g = mean_{I_Delta} |w_i|`, where the exact threshold keeps
/// the k largest |w| maximizing `(sum_{I_Delta} |w|)^2 / |I_Delta|` (TWN's `Delta = 0.7 mean |w|` as an
/// option). Activations are quantized to `activationBits` (8 or 4; unsigned after ReLU). No retraining.
/// The group scales are stored (and used) as IEEE fp16; `base3` packs the codes 5 per byte (1.6 bits)
/// instead of 4 per byte.
public struct TernarySettings: Sendable, Equatable, Codable {
    public enum Threshold: String, Sendable, Codable { case exact, twn }
    public var groupSize: Int?
    public var threshold = Threshold.exact
    public var activationBits = 8
    public var calibration = CalibrationMethod.max
    public var base3 = false

    public init(
        groupSize: Int? = 4, threshold: Threshold = .exact, activationBits: Int = 8,
        calibration: CalibrationMethod = .max,
        base3: Bool = false
    ) {
        self.base3 = base3
        self.groupSize = groupSize
        self.threshold = threshold
        self.activationBits = activationBits
        self.calibration = calibration
    }
}

extension TernarySettings: QuantizationMethod {
    static let family = "ternary"
    static let examples = [
        TernarySettings(groupSize: 4), TernarySettings(groupSize: nil), TernarySettings(groupSize: 3, threshold: .twn),
        TernarySettings(groupSize: 4, activationBits: 4, base3: true),
    ]

    var nominalBits: Double { base3 ? 1.6 : 2 }

    func validate(file: String) throws {
        if let groupSize, groupSize < 1 {
            throw QuantError(.badSetting, file: file, "the FGQ group size must be positive, got \(groupSize)")
        }
    }

    func quantize(_ spec: LayerSpec, quantizer: ActivationQuantizers, integer: Bool, file: String) throws
        -> QuantizedLayer<TernaryPayload>
    {
        let (layer, payload) = try TernaryMethod.layer(
            spec, settings: self, input: try quantizer(spec.input, activationBits), integer: integer, file: file)
        let zeros = Double(payload.codes.filter { $0 == 0 }.count) / Double(payload.codes.count)
        let scales = payload.alphas.count
        let groups = groupSize.map { "groups of \($0)" } ?? "one group per layer"
        return QuantizedLayer(
            layer: layer, payload: payload, zeroFraction: zeros,
            detail: "\(groups), \(scales) scale\(scales == 1 ? "" : "s")")
    }
}

extension QuantMethod {
    /// FGQ ternary (Mellempudi et al.).
    public static func ternary(_ settings: TernarySettings) -> QuantMethod { QuantMethod(settings) }
}

enum TernaryMethod {
    /// Ternarizes one group: the codes (same order as `values`) and alpha.
    static func ternarize(_ values: [Float], threshold: TernarySettings.Threshold) -> (codes: [Int8], alpha: Float) {
        let mags = values.map { abs($0) }
        var keep = [Bool](repeating: false, count: values.count)
        switch threshold {
        case .exact:
            // Sort |w| descending (ties by position) and keep the prefix maximizing S_k^2 / k.
            let order = mags.indices.sorted { mags[$0] != mags[$1] ? mags[$0] > mags[$1] : $0 < $1 }
            var sum = 0.0, best = (score: 0.0, count: 0)
            for (i, j) in order.enumerated() {
                sum += Double(mags[j])
                let score = sum * sum / Double(i + 1)
                if score > best.score { best = (score, i + 1) }
            }
            for j in order.prefix(best.count) { keep[j] = true }
        case .twn:
            let delta = 0.7 * mags.reduce(0, +) / Float(max(mags.count, 1))
            for j in mags.indices where mags[j] > delta { keep[j] = true }
        }
        let kept = mags.indices.filter { keep[$0] && mags[$0] > 0 }
        // alpha as stored: fp16.
        let alpha =
            kept.isEmpty ? 0 : Float(Float16(Float(kept.reduce(0.0) { $0 + Double(mags[$1]) } / Double(kept.count))))
        let codes = values.indices.map { keep[$0] && mags[$0] > 0 ? Int8(values[$0] > 0 ? 1 : -1) : 0 }
        return (codes, alpha)
    }

    /// The groups of a layer in a fixed order: for each row, for each tap, input channels c0 ..< c0 + N
    /// (weight indices k = c * taps + tap); without N, one group per row spanning all its weights (the
    /// whole layer shares one alpha).
    static func groups(_ spec: LayerSpec, groupSize: Int?) -> [(row: Int, ks: [Int])] {
        guard let n = groupSize else { return (0..<spec.rows).map { ($0, Array(0..<spec.depth)) } }
        let channels = spec.depth / spec.taps
        var out = [(row: Int, ks: [Int])]()
        for r in 0..<spec.rows {
            for t in 0..<spec.taps {
                for c0 in stride(from: 0, to: channels, by: n) {
                    out.append((r, (c0..<min(c0 + n, channels)).map { $0 * spec.taps + t }))
                }
            }
        }
        return out
    }

    /// Codes and one alpha per group (whole layer: the one alpha repeated per row).
    static func ternarizeLayer(_ spec: LayerSpec, settings: TernarySettings) -> (codes: [Int8], alphas: [Float]) {
        let groups = groups(spec, groupSize: settings.groupSize)
        guard settings.groupSize != nil else {
            let (c, a) = ternarize(spec.weights, threshold: settings.threshold)
            return (c, [Float](repeating: a, count: groups.count))
        }
        var codes = [Int8](repeating: 0, count: spec.weights.count), alphas = [Float]()
        for g in groups {
            let (c, a) = ternarize(g.ks.map { spec.weights[g.row * spec.depth + $0] }, threshold: settings.threshold)
            for (i, k) in g.ks.enumerated() { codes[g.row * spec.depth + k] = c[i] }
            alphas.append(a)
        }
        return (codes, alphas)
    }

    static func layer(_ spec: LayerSpec, settings: TernarySettings, input: AffineQuant, integer: Bool, file: String)
        throws
        -> (QuantLayer, TernaryPayload)
    {
        let (codes, alphas) = ternarizeLayer(spec, settings: settings)
        let payload = TernaryPayload(
            codes: codes, groupSize: settings.groupSize,
            alphas: settings.groupSize == nil ? [alphas.first ?? 0] : alphas,
            bias: spec.bias, base3: settings.base3)
        return (
            try build(
                spec, codes: codes, groupSize: settings.groupSize, alphas: alphas, input: input, integer: integer,
                file: file), payload
        )
    }

    /// The layer from its codes and per-group alphas (also how a `.qbqm` file is loaded).
    static func build(
        _ spec: LayerSpec, codes: [Int8], groupSize: Int?, alphas: [Float], input: AffineQuant, integer: Bool,
        file: String
    ) throws -> QuantLayer {
        let groups = groups(spec, groupSize: groupSize)
        guard alphas.count == groups.count, codes.count == spec.rows * spec.depth else {
            throw QuantError(
                file: file, layer: spec.name,
                "\(alphas.count) group scales and \(codes.count) codes do not fit \(groups.count) groups of a "
                    + "\(spec.rows)x\(spec.depth) layer"
            )
        }
        if !integer {
            let layer = try FloatLayer(
                spec, weights: dequantized(spec, codes: codes, groups: groups, alphas: alphas), bias: spec.bias,
                file: file)
            return QuantLayer(spec: spec, file: file, input: input, path: .simulated(layer, output: nil))
        }
        // CSR form for the add/subtract kernel: per row its non-empty groups, each with the +1 indices first.
        var rowStart = [Int32](repeating: 0, count: spec.rows + 1)
        var gs = [Int32](), np = [Int32](), idx = [Int32](), alpha = [Float]()
        for (g, grp) in groups.enumerated() {
            let r = grp.row
            let plus = grp.ks.filter { codes[r * spec.depth + $0] > 0 },
                minus = grp.ks.filter { codes[r * spec.depth + $0] < 0 }
            guard !plus.isEmpty || !minus.isEmpty else { continue }
            gs.append(Int32(idx.count))
            np.append(Int32(plus.count))
            idx += (plus + minus).map { Int32($0) }
            alpha.append(alphas[g])
            rowStart[r + 1] += 1
        }
        gs.append(Int32(idx.count))
        for r in 0..<spec.rows { rowStart[r + 1] += rowStart[r] }
        // (One unused element each so that no buffer is empty.)
        let kernel = TernaryKernel(
            depth: spec.depth, rowStart: rowStart, groupStart: gs, plusCount: np + [0], indices: idx + [0],
            alphas: alpha + [0],
            bias: spec.bias, lo: spec.lo, hi: spec.hi,
            packed: TernaryKernel.Packed(
                spec, codes: codes, groupSize: groupSize, alphas: alphas, zeroPoint: input.zeroPoint),
            depthwiseWeights: spec.group == spec.rows && spec.depth == spec.taps
                ? dequantized(spec, codes: codes, groups: groups, alphas: alphas) : nil)
        return QuantLayer(spec: spec, file: file, input: input, path: .integer(kernel))
    }

    /// The weights alpha_g * t (exact products), [rows][depth].
    static func dequantized(_ spec: LayerSpec, codes: [Int8], groups: [(row: Int, ks: [Int])], alphas: [Float])
        -> [Float]
    {
        var w = [Float](repeating: 0, count: codes.count)
        for (g, grp) in groups.enumerated() {
            for k in grp.ks { w[grp.row * spec.depth + k] = alphas[g] * Float(codes[grp.row * spec.depth + k]) }
        }
        return w
    }
}
