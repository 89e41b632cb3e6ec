import CKernels
import Foundation
import QBEngine

/// Power-of-two weights, Focused Quantization after Zhao, Gao, Bates, Mullins and Xu, NeurIPS 2019
/// ("Focused Quantization for Sparse CNNs"). The shift quantizer `Q_shift(n, b)` maps a value to
/// `s 2^(e - b)`, s = +-1, e in [0, 2^k - 1], with the per-layer bias b the largest integer for which at
/// most 1/(2^n + 1) of the values overflow (clip to the top level); the exponent is the nearest in the
/// log domain; n in the overflow rule is the code's total bit width, in both modes. Optionally the smallest
/// `sparsity` of the weights are pruned first (a pruned or underflowing
/// weight is 0). Recentralized mode: a 2-component Gaussian mixture (EM) of the kept weights; if its
/// Wasserstein separation `((mu1 - mu2)^2 + (s1 - s2)^2) / sigma^2` is at least `separation` (2.0), each
/// weight becomes `mu_c + sigma Q_shift((w - mu_c) / sigma)` with its component c by posterior argmax, mu_c
/// rounded to a signed power of two and sigma the pooled standard deviation; n bits = component bit +
/// sign + (n - 2)-bit exponent. Otherwise plain shift quantization with the spare bit: sign + (n - 1)-bit
/// exponent. Exponents more than 40 octaves below the top level are flushed (to 0, or to the lowest
/// kept level when recentralized): they change no float32 result and keep the kernel's int64 sums exact.
public struct ShiftSettings: Sendable, Equatable, Codable {
    public var bits = 5
    public var sparsity = 0.0
    public var recentralize = true
    public var separation = 2.0
    public var activationBits = 8
    public var calibration = CalibrationMethod.max

    public init(
        bits: Int = 5, sparsity: Double = 0, recentralize: Bool = true, separation: Double = 2.0,
        activationBits: Int = 8,
        calibration: CalibrationMethod = .max
    ) {
        self.bits = bits
        self.sparsity = sparsity
        self.recentralize = recentralize
        self.separation = separation
        self.activationBits = activationBits
        self.calibration = calibration
    }
}

/// A layer's shift-quantized weights.
struct ShiftCodes: Sendable, Equatable {
    /// Per weight: 0 = zero (pruned or underflowed), else +-(1 + exponent index) ... kept as separate fields.
    var nonzero: [Bool]
    var negative: [Bool]
    var component: [UInt8]
    /// Exponent relative to the lowest level kept (0 ... span).
    var exponent: [UInt8]
    /// Value of exponent 0: `sigma 2^(lowest - b)`; component offsets (0 when plain).
    var unit: Double
    var mu: (Double, Double)
    var recentralized: Bool
    var separation: Double?
    var bias: Int
    var exponentBits: Int

    static func == (a: ShiftCodes, b: ShiftCodes) -> Bool {
        a.nonzero == b.nonzero && a.negative == b.negative && a.component == b.component && a.exponent == b.exponent
            && a.unit == b.unit && a.mu == b.mu && a.recentralized == b.recentralized && a.bias == b.bias
    }

    func value(_ i: Int) -> Float {
        guard nonzero[i] else { return 0 }
        let m = component[i] == 0 ? mu.0 : mu.1
        return Float(m + (negative[i] ? -1 : 1) * unit * pow(2, Double(exponent[i])))
    }
}

extension ShiftSettings: QuantizationMethod {
    static let family = "shift"
    static let examples = [
        ShiftSettings(bits: 5), ShiftSettings(bits: 7, sparsity: 0.3), ShiftSettings(bits: 5, recentralize: false),
        ShiftSettings(bits: 4, sparsity: 0.5, activationBits: 4),
    ]

    var nominalBits: Double { Double(bits) }

    func quantize(_ spec: LayerSpec, quantizer: ActivationQuantizers, integer: Bool, file: String) throws
        -> QuantizedLayer<ShiftPayload>
    {
        let (layer, payload, codes) = try ShiftMethod.layer(
            spec, settings: self, input: try quantizer(spec.input, activationBits), integer: integer, file: file)
        let zeros = Double(codes.nonzero.filter { !$0 }.count) / Double(codes.nonzero.count)
        let separation = codes.separation.map { String(format: "separation %.2f", $0) } ?? "no mixture"
        return QuantizedLayer(
            layer: layer, payload: payload, zeroFraction: zeros,
            detail: "\(codes.recentralized ? "recentralized" : "plain shift"), \(separation), b = \(codes.bias)")
    }
}

extension QuantMethod {
    /// Power-of-two / Focused Quantization (Zhao, Gao et al.).
    public static func shift(_ settings: ShiftSettings) -> QuantMethod { QuantMethod(settings) }
}

enum ShiftMethod {
    static let maxSpan = 40

    /// The overflow rule: the largest b with at most 1/(2^n + 1) of `mags` above the top level 2^(emax - b).
    static func bias(_ mags: [Double], emax: Int, bits: Int) -> Int {
        let sorted = mags.filter { $0 > 0 }.sorted()
        guard !sorted.isEmpty else { return 0 }
        let allowed = 1.0 / Double((1 << bits) + 1)
        let idx = max(0, min(sorted.count - 1, Int((Double(sorted.count) * (1 - allowed)).rounded(.up)) - 1))
        return Int((Double(emax) - log2(sorted[idx])).rounded(.down))
    }

    static func quantize(_ weights: [Float], settings: ShiftSettings) -> ShiftCodes {
        let n = weights.count
        var kept = [Bool](repeating: true, count: n)
        let pruneCount = Int(Double(n) * min(max(settings.sparsity, 0), 1))
        if pruneCount > 0 {
            let order = weights.indices.sorted {
                abs(weights[$0]) != abs(weights[$1]) ? abs(weights[$0]) < abs(weights[$1]) : $0 < $1
            }
            for i in order.prefix(pruneCount) { kept[i] = false }
        }
        for i in 0..<n where weights[i] == 0 { kept[i] = false }
        let values = (0..<n).filter { kept[$0] }.map { weights[$0] }
        var mixture: GaussianMixture? = nil, separation: Double? = nil
        if settings.recentralize, let g = GaussianMixture.fit(values) {
            let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
            let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
            separation = g.separation(variance: variance)
            if separation! >= settings.separation { mixture = g }
        }
        let recentral = mixture != nil
        let emax = (1 << (settings.bits - (recentral ? 2 : 1))) - 1
        var mu = (0.0, 0.0), sigma = 1.0
        var comp = [UInt8](repeating: 0, count: n)
        if let g = mixture {
            func pow2(_ m: Double) -> Double { m == 0 ? 0 : (m < 0 ? -1 : 1) * pow(2, log2(abs(m)).rounded()) }
            mu = (pow2(g.mean.0), pow2(g.mean.1))
            sigma = (g.weight.0 * g.std.0 * g.std.0 + g.weight.1 * g.std.1 * g.std.1).squareRoot()
            for i in 0..<n where kept[i] { comp[i] = UInt8(g.component(Double(weights[i]))) }
        }
        let targets = (0..<n).map { i -> Double in
            guard kept[i] else { return 0 }
            return (Double(weights[i]) - (comp[i] == 0 ? mu.0 : mu.1)) / sigma
        }
        let b = bias((0..<n).filter { kept[$0] }.map { abs(targets[$0]) }, emax: emax, bits: settings.bits)
        let lowest = max(0, emax - maxSpan)
        var codes = ShiftCodes(
            nonzero: kept, negative: [Bool](repeating: false, count: n), component: comp,
            exponent: [UInt8](repeating: 0, count: n), unit: sigma * pow(2, Double(lowest - b)), mu: mu,
            recentralized: recentral, separation: separation, bias: b, exponentBits: settings.bits - (recentral ? 2 : 1)
        )
        for i in 0..<n where kept[i] {
            let u = targets[i]
            let mag = abs(u)
            // Plain mode: below half the smallest level the nearest value is 0.
            if !recentral && mag < pow(2, Double(lowest - b - 1)) {
                codes.nonzero[i] = false
                continue
            }
            codes.negative[i] = u < 0
            let e = mag > 0 ? Int((log2(mag) + Double(b)).rounded()) : lowest
            codes.exponent[i] = UInt8(min(max(e, lowest), emax) - lowest)
        }
        return codes
    }

    static func layer(_ spec: LayerSpec, settings: ShiftSettings, input: AffineQuant, integer: Bool, file: String)
        throws
        -> (QuantLayer, ShiftPayload, ShiftCodes)
    {
        guard (2...8).contains(settings.bits), !(settings.bits < 3 && settings.recentralize) else {
            throw QuantError(
                .badSetting, file: file, layer: spec.name,
                "power-of-two bits must be 2...8 (3...8 when recentralized), got \(settings.bits)")
        }
        let codes = quantize(spec.weights, settings: settings)
        let payload = ShiftPayload(codes: codes, bits: settings.bits, bias: spec.bias)
        return (try build(spec, codes: codes, input: input, integer: integer, file: file), payload, codes)
    }

    /// The layer from its codes (also how a `.qbqm` file is loaded).
    static func build(_ spec: LayerSpec, codes: ShiftCodes, input: AffineQuant, integer: Bool, file: String) throws
        -> QuantLayer
    {
        guard codes.nonzero.count == spec.rows * spec.depth else {
            throw QuantError(
                file: file, layer: spec.name,
                "\(codes.nonzero.count) codes do not fit a \(spec.rows)x\(spec.depth) layer")
        }
        if !integer {
            let dequantized = (0..<codes.nonzero.count).map { codes.value($0) }
            return QuantLayer(
                spec: spec, file: file, input: input,
                path: .simulated(try FloatLayer(spec, weights: dequantized, bias: spec.bias, file: file), output: nil))
        }
        // The kernel's int64 sums stay exact while depth * 255 * 2^span < 2^62.
        let span = Int(codes.exponent.max() ?? 0)
        guard span <= 62, Double(spec.depth) * 255 * pow(2, Double(span)) < pow(2, 62) else {
            throw QuantError(
                file: file, layer: spec.name,
                "exponent span \(span) over \(spec.depth) weights per row would overflow the shift kernel's int64 sums")
        }
        var rowStart = [Int32](repeating: 0, count: spec.rows + 1)
        var idx = [Int32](), code = [UInt8]()
        for r in 0..<spec.rows {
            for k in 0..<spec.depth where codes.nonzero[r * spec.depth + k] {
                let i = r * spec.depth + k
                idx.append(Int32(k))
                code.append(codes.component[i] << 7 | (codes.negative[i] ? 64 : 0) | codes.exponent[i])
            }
            rowStart[r + 1] = Int32(idx.count)
        }
        let kernel = ShiftKernel(
            depth: spec.depth, rowStart: rowStart, indices: idx + [0], codes: code + [0],
            unit: [Float](repeating: Float(codes.unit), count: spec.rows),
            mu0: [Float](repeating: Float(codes.mu.0), count: spec.rows),
            mu1: [Float](repeating: Float(codes.mu.1), count: spec.rows),
            bias: spec.bias, lo: spec.lo, hi: spec.hi,
            packed: ShiftKernel.Packed(spec, codes: codes, zeroPoint: input.zeroPoint),
            depthwiseTables: ShiftKernel.Depthwise(spec, codes: codes))
        return QuantLayer(spec: spec, file: file, input: input, path: .integer(kernel))
    }
}
