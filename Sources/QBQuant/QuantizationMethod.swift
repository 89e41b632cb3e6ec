import QBEngine

/// A quantization method with its settings: everything the quantizer, the `.qbqm` reader, the kernel
/// bench and the tests need to know about it. Adding a method is one type conforming to this protocol (its
/// settings), one `WeightPayload` type (its serialized form and how a loaded payload becomes a layer), and one
/// line in `MethodRegistry.standard`; nothing else switches over the methods.
protocol QuantizationMethod: Sendable, Equatable {
    /// The payload type the method writes (and the `.qbqm` reader decodes by its kind bytes).
    associatedtype Payload: WeightPayload

    /// The method family's short name ("int8", "ternary", "shift"): the kernel bench's and the registry's key.
    static var family: String { get }
    /// Settings the registry's tests run (the first is the kernel bench's); they cover the method's forms.
    static var examples: [Self] { get }

    /// How activation ranges are chosen from the calibration observations.
    var calibration: CalibrationMethod { get }
    /// The width of the activation codes (2...8).
    var activationBits: Int { get }
    /// The bits per weight of the method's codes (before entropy coding and sparsity).
    var nominalBits: Double { get }
    /// Whether the layer's activations are quantized (false: weight-only, activations stay FP32).
    var quantizesActivations: Bool { get }

    /// Refuses settings the method cannot run, naming `file` (the model) and the setting.
    func validate(file: String) throws
    /// The values of `spec` whose ranges calibration must observe (its input, and for some methods its output).
    func calibratedValues(of spec: LayerSpec) -> [String]
    /// Quantizes one layer: the codes, the payload, and the layer that runs them (`integer`: the deployed
    /// integer kernel; otherwise the simulated form). `quantizer(value, bits)` gives a calibrated activation
    /// quantizer of one of `calibratedValues(of:)`.
    func quantize(_ spec: LayerSpec, quantizer: ActivationQuantizers, integer: Bool, file: String) throws
        -> QuantizedLayer<Payload>
}

/// The calibrated activation quantizer of a value at a bit width (throws when the value was not observed).
typealias ActivationQuantizers = (_ value: String, _ bits: Int) throws -> AffineQuant

/// What quantizing one layer gave: the layer that runs, its payload, and the facts the report shows.
struct QuantizedLayer<Payload> {
    var layer: QuantLayer
    var payload: Payload
    /// Fraction of the layer's weights that are zero after quantization.
    var zeroFraction: Double
    /// Method-specific facts ("per-channel scales", "groups of 4, 96 scales", ...).
    var detail: String
}

extension QuantizationMethod {
    var quantizesActivations: Bool { true }
    func validate(file: String) throws {}
    func calibratedValues(of spec: LayerSpec) -> [String] { [spec.input] }
}

/// A method with its settings as the harness's variant table and the public API hold it (a value that
/// compares equal when the settings do). Each method's file adds its constructor (`.int8(...)`, ...).
public struct QuantMethod: Sendable, Equatable, CustomStringConvertible {
    let method: any QuantizationMethod

    init(_ method: any QuantizationMethod) {
        self.method = method
    }

    var calibration: CalibrationMethod { method.calibration }
    var activationBits: Int { method.activationBits }
    /// The bits per weight of the method's codes (before entropy coding and sparsity).
    public var nominalBits: Double { method.nominalBits }
    /// Weight and activation bits (activations 32 when they stay in float).
    public var bits: (weights: Double, activations: Double) {
        (method.nominalBits, method.quantizesActivations ? Double(method.activationBits) : 32)
    }
    /// The settings spelled out (`Int8Settings(perChannel: true, ...)`): cache keys use it.
    public var description: String { String(describing: method) }

    /// Quantizes one layer with this method (the payload type-erased for the model's table of payloads).
    func quantizeLayer(_ spec: LayerSpec, quantizer: ActivationQuantizers, integer: Bool, file: String) throws
        -> QuantizedLayer<any WeightPayload>
    {
        func run<Method: QuantizationMethod>(_ method: Method) throws -> QuantizedLayer<any WeightPayload> {
            let done = try method.quantize(spec, quantizer: quantizer, integer: integer, file: file)
            return QuantizedLayer(
                layer: done.layer, payload: done.payload, zeroFraction: done.zeroFraction,
                detail: done.detail)
        }
        return try run(method)
    }

    public static func == (lhs: QuantMethod, rhs: QuantMethod) -> Bool {
        func equal<M: QuantizationMethod>(_ left: M) -> Bool {
            guard let right = rhs.method as? M else { return false }
            return left == right
        }
        return equal(lhs.method)
    }
}
