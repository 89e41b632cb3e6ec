import QBEngine
@testable import QBQuant

/// A method written the way the README's "Adding a method" describes, to prove the registry: sign-only binary
/// weights `w = alpha_r sign(w)` with `alpha_r = mean_k |w_rk|` per output row (BinaryConnect / XNOR-Net's
/// weight form), activations quantized to 8 bits. It has no integer kernel: both forms run the dequantized
/// weights in the FP32 operator on fake-quantized inputs. This file and one `adding` call are all it takes.
struct SignBinarySettings: QuantizationMethod {
    var activationBits = 8
    var calibration = CalibrationMethod.max

    static let family = "sign"
    static let examples = [SignBinarySettings()]

    var nominalBits: Double { 1 }

    func quantize(_ spec: LayerSpec, quantizer: ActivationQuantizers, integer: Bool, file: String) throws
        -> QuantizedLayer<SignBinaryPayload>
    {
        var scales = [Float]()
        for row in 0..<spec.rows {
            let magnitudes = spec.weights[(row * spec.depth)..<((row + 1) * spec.depth)].map { abs($0) }
            scales.append(magnitudes.reduce(0, +) / Float(spec.depth))
        }
        let payload = SignBinaryPayload(negative: spec.weights.map { $0 < 0 }, scales: scales, bias: spec.bias)
        let layer = try payload.layer(spec, input: try quantizer(spec.input, activationBits), output: nil, file: file)
        return QuantizedLayer(layer: layer, payload: payload, zeroFraction: 0, detail: "sign only")
    }
}

/// The sign method's payload (kind 200): count u32, scale count u32, scales f32, one bit per weight (1 =
/// negative, LSB first), bias flag u8, bias f32.
struct SignBinaryPayload: WeightPayload {
    var negative: [Bool]
    var scales: [Float]
    var bias: [Float]?

    static let kinds = [200]

    func encoded() -> [UInt8] {
        var writer = ByteWriter()
        PayloadHeader.write(kind: 200, count: negative.count, to: &writer)
        writer.floats(scales)
        var packed = [UInt8](repeating: 0, count: (negative.count + 7) / 8)
        for (i, isNegative) in negative.enumerated() where isNegative { packed[i / 8] |= 1 << UInt8(i % 8) }
        writer.bytes(packed)
        writer.bias(bias)
        return writer.data
    }

    static func decode(kind: Int, count: Int, from reader: inout ByteReader) -> SignBinaryPayload? {
        guard let scales = reader.floats(), let packed = reader.bytes((count + 7) / 8), let bias = reader.bias() else {
            return nil
        }
        let negative = (0..<count).map { packed[$0 / 8] >> UInt8($0 % 8) & 1 == 1 }
        return SignBinaryPayload(negative: negative, scales: scales, bias: bias)
    }

    func layer(_ spec: LayerSpec, input: AffineQuant?, output: AffineQuant?, file: String) throws -> QuantLayer {
        guard let input, scales.count == spec.rows, negative.count == spec.rows * spec.depth else {
            throw QuantError(file: file, layer: spec.name, "sign payload does not fit the layer")
        }
        let weights = negative.indices.map { (negative[$0] ? -1 : 1) * scales[$0 / spec.depth] }
        let float = try FloatLayer(spec, weights: weights, bias: bias, file: file)
        return QuantLayer(spec: spec, file: file, input: input, path: .simulated(float, output: nil))
    }
}
