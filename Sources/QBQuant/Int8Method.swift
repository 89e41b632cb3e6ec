import QBEngine
import QBTensor

/// int8 after Jacob et al., CVPR 2018 ("Quantization and Training of Neural Networks for Efficient
/// Integer-Arithmetic-Only Inference"): weights symmetric int8 in [-127, 127] (`w = S_w q`), per output
/// channel by default or per tensor (the paper's choice); activations asymmetric uint8 per tensor
/// (`r = S (q - Z)`), ranges by the chosen calibration; int32 bias with `S_b = S_x S_w`; requantization
/// by `M = S_x S_w / S_y = M0 2^-n`. `weightOnly` (W8) keeps activations in float. The same affine scheme at
/// lower widths (`weightBits`: symmetric [-(2^(b-1) - 1), 2^(b-1) - 1]; `activationBits`: [0, 2^b - 1] for the
/// layer's input and output codes) gives W6A6, W4A8, W4A4, ... on the same exact integer kernel.
public struct Int8Settings: Sendable, Equatable, Codable {
    public var perChannel = true
    public var calibration = CalibrationMethod.max
    public var weightOnly = false
    public var weightBits = 8
    public var activationBits = 8

    public init(
        perChannel: Bool = true, calibration: CalibrationMethod = .max, weightOnly: Bool = false, weightBits: Int = 8,
        activationBits: Int = 8
    ) {
        self.perChannel = perChannel
        self.calibration = calibration
        self.weightOnly = weightOnly
        self.weightBits = weightBits
        self.activationBits = activationBits
    }
}

extension Int8Settings: QuantizationMethod {
    static let family = "int8"
    static let examples = [
        Int8Settings(), Int8Settings(perChannel: false), Int8Settings(weightOnly: true),
        Int8Settings(weightBits: 4, activationBits: 4), Int8Settings(weightBits: 6, activationBits: 6),
    ]

    var nominalBits: Double { Double(weightBits) }
    var quantizesActivations: Bool { !weightOnly }

    func validate(file: String) throws {
        guard (2...8).contains(weightBits) else {
            throw QuantError(.badSetting, file: file, "weight bits must be 2...8, got \(weightBits)")
        }
    }

    /// The layer's input and output: the integer kernel requantizes its output to the calibrated range.
    func calibratedValues(of spec: LayerSpec) -> [String] { weightOnly ? [] : [spec.output, spec.input] }

    func quantize(_ spec: LayerSpec, quantizer: ActivationQuantizers, integer: Bool, file: String) throws
        -> QuantizedLayer<Int8Payload>
    {
        let input =
            weightOnly ? AffineQuant(scale: 1, zeroPoint: 0, bits: 8) : try quantizer(spec.input, activationBits)
        let output = weightOnly ? input : try quantizer(spec.output, activationBits)
        let (layer, payload) = try Int8Method.layer(
            spec, settings: self, input: input, output: output, integer: integer, file: file)
        let widths =
            weightBits == 8 && activationBits == 8 ? "" : ", W\(weightBits)A\(weightOnly ? 32 : activationBits)"
        let zeros = Double(payload.codes.filter { $0 == 0 }.count) / Double(payload.codes.count)
        return QuantizedLayer(
            layer: layer, payload: payload, zeroFraction: zeros,
            detail: (perChannel ? "per-channel scales" : "per-tensor scale") + widths)
    }
}

extension QuantMethod {
    /// int8 and the narrower affine widths (Jacob et al.).
    public static func int8(_ settings: Int8Settings) -> QuantMethod { QuantMethod(settings) }
}

enum Int8Method {
    /// Symmetric codes in [-(2^(bits-1) - 1), 2^(bits-1) - 1] and their scales (one per row, or one for all rows).
    static func quantizeWeights(_ w: [Float], rows: Int, depth: Int, perChannel: Bool, bits: Int = 8) -> (
        codes: [Int8], scales: [Float]
    ) {
        let top = Float((1 << (bits - 1)) - 1)
        var scales = [Float](repeating: 0, count: rows)
        let all = w.reduce(Float(0)) { max($0, abs($1)) }
        for r in 0..<rows {
            let m = perChannel ? w[(r * depth)..<((r + 1) * depth)].reduce(Float(0)) { max($0, abs($1)) } : all
            scales[r] = m > 0 ? m / top : 1
        }
        var codes = [Int8](repeating: 0, count: w.count)
        let rule: FloatingPointRoundingRule =
            FaultInjection.isActive("rounding") ? .towardZero : .toNearestOrAwayFromZero
        for r in 0..<rows {
            for k in 0..<depth {
                codes[r * depth + k] = Int8(min(max((w[r * depth + k] / scales[r]).rounded(rule), -top), top))
            }
        }
        return (codes, scales)
    }

    /// Builds the layer: `input` and `output` are the calibrated activation quantizers.
    static func layer(
        _ spec: LayerSpec, settings: Int8Settings, input: AffineQuant, output: AffineQuant, integer: Bool,
        file: String
    ) throws -> (QuantLayer, Int8Payload) {
        let (codes, scales) = quantizeWeights(
            spec.weights, rows: spec.rows, depth: spec.depth, perChannel: settings.perChannel, bits: settings.weightBits
        )
        let payload = Int8Payload(codes: codes, bits: settings.weightBits, scales: scales, bias: spec.bias)
        let layer = try build(
            spec, codes: codes, scales: scales, input: settings.weightOnly ? nil : input,
            output: settings.weightOnly ? nil : output,
            integer: integer, file: file)
        return (layer, payload)
    }

    /// The layer from its codes and scales (also how a `.qbqm` file is loaded); no `input` = weight-only.
    static func build(
        _ spec: LayerSpec, codes: [Int8], scales: [Float], input: AffineQuant?, output: AffineQuant?, integer: Bool,
        file: String
    ) throws -> QuantLayer {
        let dequantized = (0..<codes.count).map { scales[$0 / spec.depth] * Float(codes[$0]) }
        guard let input, let output else {
            return QuantLayer(
                spec: spec, file: file, input: nil,
                path: .weightOnly(try FloatLayer(spec, weights: dequantized, bias: spec.bias, file: file)))
        }
        // int32 bias at scale S_x S_w (zero point 0).
        let biasQ: [Int32] = (0..<spec.rows).map { r in
            guard let b = spec.bias?[r] else { return 0 }
            let v = (Double(b) / (Double(input.scale) * Double(scales[r]))).rounded()
            return v.isFinite ? Int32(min(max(v, -2147483648), 2147483647)) : 0
        }
        // The output codes the fused clamp allows.
        let z = output.zeroPoint
        // (Nearest code: ReLU6's 6 / S lands a hair below an integer as often as above.)
        func code(_ v: Float) -> Int { Int(min(max((Double(v) / Double(output.scale)).rounded(), -1e6), 1e6)) + z }
        let qmin = spec.lo.isFinite ? max(0, min(output.qmax, code(spec.lo))) : 0
        let qmax = spec.hi.isFinite ? max(qmin, min(output.qmax, code(spec.hi))) : output.qmax
        if !integer {
            let bias =
                spec.bias == nil
                ? nil : (0..<spec.rows).map { Float(Double(biasQ[$0]) * Double(input.scale) * Double(scales[$0])) }
            let layer = try FloatLayer(spec, weights: dequantized, bias: bias, file: file)
            return QuantLayer(
                spec: spec, file: file, input: input, output: output,
                path: .simulated(layer, output: OutputQuant(quant: output, qmin: qmin, qmax: qmax)))
        }
        let ld = (spec.depth + 15) / 16 * 16
        guard ld * 127 * 255 < Int(Int32.max) else {
            throw QuantError(
                file: file, layer: spec.name,
                "\(spec.depth) weights per row would overflow the int8 kernel's int32 sums")
        }
        var w16 = [Int16](repeating: 0, count: spec.rows * ld)
        for r in 0..<spec.rows { for k in 0..<spec.depth { w16[r * ld + k] = Int16(codes[r * spec.depth + k]) } }
        let multipliers = (0..<spec.rows).map {
            FixedPointMultiplier(Double(input.scale) * Double(scales[$0]) / Double(output.scale))
        }
        let kernel = Int8Kernel(
            rows: spec.rows, depth: spec.depth, ld: ld, weights: w16, bias: biasQ, m0: multipliers.map(\.m0),
            leftShift: multipliers.map(\.leftShift), rightShift: multipliers.map(\.rightShift),
            output: output, qmin: qmin, qmax: qmax, inputZero: input.zeroPoint, groupRows: spec.rows / spec.group,
            taps: spec.taps)
        return QuantLayer(spec: spec, file: file, input: input, output: output, path: .integer(kernel))
    }
}
