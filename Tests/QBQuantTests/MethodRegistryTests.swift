import QBEngine
@testable import QBQuant
import QBTensor
import QBTestSupport
import Testing

/// Every registered method, without being told about any of them (ggml's test-quantize-fns): its payload
/// round-trips, a payload read back runs the same bits, the integer form agrees with the simulated one, and
/// its kernel gives the same bits capped to the plain twin. The sign-only test method runs through the same
/// checks from its own file plus one `adding` call.
@Suite("Method registry: every method, every example")
struct MethodRegistryTests {
    static let registry = MethodRegistry.standard.adding(SignBinarySettings.self)

    /// Odd sizes: a linear layer over 5 rows, and a padded 3x3 convolution.
    static func layers() throws -> [(spec: LayerSpec, input: Value)] {
        var linear = LayerFixtures.linear(rows: 7, depth: 37, seed: 11)
        linear.lo = -.infinity
        let node = Node(
            name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"],
            attributes: ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1])])
        var conv = try LayerSpec(node: node, weightShape: [5, 3, 3, 3], file: "t")
        conv.weights = randomFloats(5 * 27, seed: 12).map { $0 * 0.3 }
        conv.bias = randomFloats(5, seed: 13)
        return [
            (linear, Value(shape: [5, 37], floats: randomFloats(5 * 37, seed: 14))),
            (conv, Value(shape: [1, 3, 9, 7], floats: randomFloats(3 * 63, seed: 15))),
        ]
    }

    /// Activation quantizers over fixed ranges: inputs [-1, 1], outputs [-6, 6].
    static func quantizer(_ spec: LayerSpec) -> ActivationQuantizers {
        { name, bits in AffineQuant(lo: name == spec.input ? -1 : -6, hi: name == spec.input ? 1 : 6, bits: bits) }
    }

    @Test("families and payload kinds are unique; every method has examples")
    func unique() {
        let families = Self.registry.families, kinds = Self.registry.payloadTypes.flatMap { $0.kinds }
        #expect(Set(families).count == families.count, "\(families)")
        #expect(Set(kinds).count == kinds.count, "\(kinds)")
        #expect(Self.registry.methods.allSatisfy { !$0.examples.isEmpty })
        #expect(KernelBench.kinds == ["fp32"] + MethodRegistry.standard.families)
    }

    @Test("quantize, serialize, read back: the same payload and the same output bits")
    func roundTrip() throws {
        func check<Method: QuantizationMethod>(_ method: Method.Type) throws -> Int {
            var cases = 0
            for example in Method.examples {
                for (spec, input) in try Self.layers() {
                    let quantized = try example.quantize(
                        spec, quantizer: Self.quantizer(spec), integer: true, file: "t")
                    let bytes = quantized.payload.encoded()
                    let decoded = try #require(Self.registry.decodePayload(bytes), "\(example) \(spec.name)")
                    #expect(decoded.isEqual(quantized.payload), "\(example) \(spec.name)")
                    #expect(Self.registry.decodePayload(Array(bytes.dropLast(1))) == nil, "\(example) truncated")
                    var bare = spec
                    (bare.weights, bare.bias) = ([], nil)
                    let loaded = try decoded.layer(
                        bare, input: quantized.layer.input, output: quantized.layer.output,
                        file: "t")
                    let expected = try quantized.layer.run(input, threads: 1).floats
                    #expect(
                        try loaded.run(input, threads: 1).floats.map(\.bitPattern) == expected.map(\.bitPattern),
                        "\(example) \(spec.name)")
                    cases += 1
                }
            }
            return cases
        }
        for method in Self.registry.methods { #expect(try check(method) >= 2, "\(method.family)") }
    }

    @Test("the integer form equals the simulated one (within one output code where it requantizes)")
    func integerMatchesSimulated() throws {
        func check<Method: QuantizationMethod>(_ method: Method.Type) throws {
            for example in Method.examples {
                for (spec, input) in try Self.layers() {
                    let quantizer = Self.quantizer(spec)
                    let integer = try example.quantize(spec, quantizer: quantizer, integer: true, file: "t").layer
                    let simulated = try example.quantize(spec, quantizer: quantizer, integer: false, file: "t").layer
                    let a = try integer.run(input, threads: 1).floats, b = try simulated.run(input, threads: 1).floats
                    let step = Double(integer.output?.scale ?? 0)
                    let worst = zip(a, b).map {
                        abs(Double($0) - Double($1)) - step * 1.001 - 1e-5 * max(1, abs(Double($1)))
                    }
                    #expect(a.count == b.count && (worst.max() ?? 0) <= 0, "\(example) \(spec.name)")
                }
            }
        }
        for method in Self.registry.methods { try check(method) }
    }

    @Test("every method's layer gives the same bits at every ISA level and thread count")
    func everyPath() throws {
        func check<Method: QuantizationMethod>(_ method: Method.Type) throws {
            for example in Method.examples {
                for (spec, input) in try Self.layers() {
                    let layer = try example.quantize(spec, quantizer: Self.quantizer(spec), integer: true, file: "t")
                        .layer
                    let native = try layer.run(input, threads: 1).floats.map(\.bitPattern)
                    for isa in KernelISA.available {
                        for threads in [1, 2] {
                            let capped = try KernelISA.capped(at: isa) { try layer.run(input, threads: threads).floats }
                            #expect(capped.map(\.bitPattern) == native, "\(example) \(spec.name) \(isa) \(threads)")
                        }
                    }
                }
            }
        }
        for method in Self.registry.methods { try check(method) }
    }

    @Test("a whole model quantized with the test method writes and loads through the registry")
    func newMethodEndToEnd() throws {
        let (session, feeds) = try ModelQuantizationTests.prepared("fmnist-resnet")
        let model = try Quantizer.quantize(
            session.graph, method: QuantMethod(SignBinarySettings()),
            calibration: Array(feeds.prefix(8)))
        #expect(model.layers.allSatisfy { $0.detail == "sign only" } && !model.layers.isEmpty)
        let bytes = try ModelFile.encode(model, method: "sign")
        #expect(throws: QuantError.self) { try ModelFile.load(bytes, file: "sign.qbqm") }
        let loaded = try ModelFile.load(bytes, file: "sign.qbqm", registry: Self.registry)
        let options = SessionOptions(optimize: false)
        let out = session.outputs[0].name
        let expected = try Session(graph: model.graph, options: options).run(feeds[0])[out]!.floats
        let actual = try Session(graph: loaded, options: options).run(feeds[0])[out]!.floats
        #expect(actual.map(\.bitPattern) == expected.map(\.bitPattern))
    }
}
