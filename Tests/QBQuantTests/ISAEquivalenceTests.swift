import Foundation
@testable import QBEngine
@testable import QBQuant
import QBTensor
import QBTestSupport
import Testing

/// One answer on every machine: each method's model, quantized and run with the kernels capped at every ISA
/// level this machine has, gives the same output bits as the portable level (packing, kernels and the float
/// epilogues of `qb_epilogue.h` included); FP32 too. On a machine without AVX-512 the levels it lacks are
/// simply absent (`QB_MAX_ISA` / `--max-isa` reach them on machines that have them).
@Suite("Every ISA level gives the same bits, model by model", .serialized)
struct ISAEquivalenceTests {
    static let methods: [(String, QuantMethod)] = [
        ("int8", .int8(Int8Settings())), ("w4a4", .int8(Int8Settings(weightBits: 4, activationBits: 4))),
        ("fgq-n4", .ternary(TernarySettings(groupSize: 4))), ("fgq-n64", .ternary(TernarySettings(groupSize: 64))),
        ("fgq-layer-a4", .ternary(TernarySettings(groupSize: nil, activationBits: 4))),
        ("pow2-5", .shift(ShiftSettings(bits: 5))), ("pow2-7-s50", .shift(ShiftSettings(bits: 7, sparsity: 0.5))),
        ("pow2-5-plain", .shift(ShiftSettings(bits: 5, recentralize: false))),
    ]

    /// The output bits of `method` (nil: FP32) quantized and run at `isa` (threads 2).
    static func outputBits(
        model: String, method: QuantMethod?, isa: KernelISA, feeds: [[String: Value]], session: Session
    ) throws -> [UInt32] {
        try KernelISA.capped(at: isa) {
            let graph =
                try method.map {
                    try Quantizer.quantize(session.graph, method: $0, calibration: feeds, integer: true).graph
                } ?? session.graph
            let run = try Session(graph: graph, options: SessionOptions(optimize: method == nil, threads: 2))
            var bits = [UInt32]()
            for feed in feeds.prefix(2) { bits += try run.run(feed)[session.outputs[0].name]!.floats.map(\.bitPattern) }
            return bits
        }
    }

    @Test(
        "fmnist-resnet and fmnist-mobilenet: FP32 and every method at every level = the portable bits",
        arguments: ["fmnist-resnet", "fmnist-mobilenet"])
    func models(model: String) throws {
        let (session, feeds) = try ModelQuantizationTests.prepared(model)
        let levels = KernelISA.available
        try #require(levels.first == .portable)
        let fp32 = try levels.map {
            try Self.outputBits(model: model, method: nil, isa: $0, feeds: feeds, session: session)
        }
        for (isa, bits) in zip(levels, fp32).dropFirst() {
            #expect(bits == fp32[0], "\(model) FP32 at \(isa) differs from portable")
        }
        for (name, method) in Self.methods {
            let reference = try Self.outputBits(
                model: model, method: method, isa: .portable, feeds: feeds, session: session)
            #expect(reference.allSatisfy { Float(bitPattern: $0).isFinite }, "\(model) \(name): non-finite outputs")
            for isa in levels.dropFirst() {
                let bits = try Self.outputBits(model: model, method: method, isa: isa, feeds: feeds, session: session)
                let differing = zip(bits, reference).filter { $0 != $1 }.count
                #expect(
                    differing == 0,
                    "\(model) \(name) at \(isa): \(differing) of \(bits.count) outputs differ from portable")
            }
        }
    }
}
