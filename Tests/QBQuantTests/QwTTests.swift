import Foundation
@testable import QBEngine
import QBMetrics
@testable import QBQuant
import QBTestSupport
import Testing

/// QwT: the ridge solver against SciPy on real activations, the blocks found in the suite's graphs, and
/// the compensation's effect and file round trip on a real model.
@Suite("QwT (Quantization without Tears)", .serialized)
struct QwTTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            var name: String, lambda: Double, groups: Int, stride: Int, weights: [Double], bias: [Double], r2: Double,
                ss_res: Double, ss_tot: Double, rows: Int
        }
        var cases: [Case]
    }

    @Test(
        """
        the streamed ridge fit equals SciPy's solve on real fmnist-resnet activations (rows, groups, stride, lambda, \
        R^2)
        """
    )
    func solverAgainstSciPy() throws {
        let reference = try loadJSONFixture("qwt/reference.json", as: Reference.self)
        let x = try NPYFile.read(Fixtures.path("qwt/x.npy")), t = try NPYFile.read(Fixtures.path("qwt/t.npy"))
        #expect(reference.cases.count == 3)
        for c in reference.cases {
            let channels = x.shape[1] / c.groups
            var fit = try QwT.Fit(
                x: x.shape, y: t.shape, groupChannels: channels, file: "fixture",
                block: ResidualBlock(input: "x", output: "t"))
            #expect(fit.groups == c.groups && fit.stride == c.stride, "\(c.name)")
            // Streamed in two halves: the sums must not depend on how the rows arrive.
            let half = x.shape[0] / 2
            let xs = x.floats, ts = t.floats, xn = xs.count / x.shape[0], tn = ts.count / t.shape[0]
            for part in [0..<half, half..<x.shape[0]] {
                try fit.add(
                    x: Array(xs[(part.lowerBound * xn)..<(part.upperBound * xn)]),
                    xShape: [part.count] + x.shape.dropFirst(),
                    target: Array(ts[(part.lowerBound * tn)..<(part.upperBound * tn)]),
                    tShape: [part.count] + t.shape.dropFirst())
            }
            let ci = x.shape[1] / c.groups, co = t.shape[1] / c.groups
            var residual = 0.0, total = 0.0, worstW = 0.0, worstB = 0.0
            for g in 0..<c.groups {
                let s = try fit.fits[g].solve(lambda: c.lambda)
                #expect(!s.fallback && s.lambda == c.lambda)
                for m in 0..<co {
                    for j in 0..<ci {
                        worstW = Tolerance.worse(worstW, abs(s.beta[j * co + m] - c.weights[(g * co + m) * ci + j]))
                    }
                    worstB = Tolerance.worse(worstB, abs(s.beta[ci * co + m] - c.bias[g * co + m]))
                }
                let st = fit.fits[g].statistics(s.beta)
                residual += st.residual
                total += st.total
            }
            #expect(fit.fits[0].rows == c.rows)
            // The ridge and plain solutions differ by up to 3e-5 on this data, so 1e-7 tells lambda's place apart.
            #expect(worstW < 1e-7 && worstB < 1e-7, "\(c.name): weights off by \(worstW), bias by \(worstB)")
            #expect(abs(residual - c.ss_res) / c.ss_res < 1e-9, "\(c.name): SS_res \(residual) vs \(c.ss_res)")
            #expect(abs(total - c.ss_tot) / c.ss_tot < 1e-9, "\(c.name): SS_tot \(total) vs \(c.ss_tot)")
            #expect(abs((1 - residual / total) - c.r2) < 1e-9, "\(c.name)")
        }
    }

    /// Each block's error measured by running the compensated graph: ||Y - y||^2 / ||Y||^2 with y the
    /// compensated block output and Y the FP32 block on the same (compensated upstream) input.
    static func measuredErrors(_ c: QuantizedModel, reference: Graph, feeds: [[String: Value]]) throws -> [Double] {
        let qs = try Session(graph: c.graph, options: SessionOptions(optimize: false))
        let fp = try Session(graph: reference, options: SessionOptions(optimize: false))
        return try c.blocks.map { b in
            var error = 0.0, signal = 0.0
            for feed in feeds {
                var x: Value? = feed[b.input], y: Value? = nil, ref: Value? = nil
                _ = try qs.run(
                    feed,
                    hook: { name, _, v in
                        if name == b.input { x = v }
                        if name == b.output { y = v }
                        return nil
                    })
                _ = try fp.run(
                    feed,
                    hook: { name, _, v in
                        if name == b.input { return x }
                        if name == b.output { ref = v }
                        return nil
                    })
                let r = ref!.floats, q = y!.floats
                for i in 0..<r.count {
                    signal += Double(r[i]) * Double(r[i])
                    error += (Double(r[i]) - Double(q[i])) * (Double(r[i]) - Double(q[i]))
                }
            }
            return error / signal
        }
    }

    @Test("a singular normal matrix at lambda = 0 falls back to a small ridge and says so")
    func singularFallback() throws {
        var fit = RidgeFit(inputs: 3, targets: 2)
        let n = 50
        let a = randomFloats(n, seed: 3), b = randomFloats(n, seed: 4)
        // Column 3 = column 1 + column 2: X^T X is singular.
        let x = a + b + zip(a, b).map { $0 + $1 }
        let t = zip(a, b).map { 2 * $0 - $1 } + a
        fit.add(columnsX: x, columnsT: t, count: n)
        let s = try fit.solve(lambda: 0)
        #expect(s.fallback && s.lambda > 0 && s.beta.allSatisfy(\.isFinite))
        let st = fit.statistics(s.beta)
        #expect(st.residual / st.sumSquares < 1e-6, "an exact linear target is still fitted: \(st.residual)")
    }

    @Test(
        """
        blocks are found from the residual Adds: 3 in fmnist-resnet, every inverted residual in fmnist-mobilenet, \
        one per transformer layer
        """
    )
    func blocks() throws {
        func graph(_ model: String) throws -> Graph {
            try Session(modelPath: Fixtures.packageRoot.appendingPathComponent("Models/\(model)/model.onnx").path).graph
        }
        let resnet = ResidualBlocks.find(in: try graph("fmnist-resnet"))
        #expect(
            resnet.map(\.input) == [
                "/stem/stem.2/Relu_output_0", "/layers/layers.0/Relu_1_output_0", "/layers/layers.1/Relu_1_output_0",
            ])
        #expect(
            resnet.map(\.output) == [
                "/layers/layers.0/Relu_1_output_0", "/layers/layers.1/Relu_1_output_0",
                "/layers/layers.2/Relu_1_output_0",
            ])
        #expect(resnet.map(\.layers.count) == [2, 3, 3])
        let mobilenet = try graph("fmnist-mobilenet")
        let adds = mobilenet.nodes.filter {
            $0.opType == "Add" && $0.inputs.allSatisfy { mobilenet.initializers[$0] == nil }
        }.count
        #expect(ResidualBlocks.find(in: mobilenet).count == adds)
        for model in ["finefoods-transformer", "austen-lm"] {
            let g = try graph(model)
            let softmaxes = g.nodes.filter { $0.opType == "Softmax" }.count
            let blocks = ResidualBlocks.find(in: g)
            // The language model's last Softmax is its output distribution, not attention.
            #expect(
                blocks.count == softmaxes || blocks.count == softmaxes - 1,
                "\(model): \(blocks.count) blocks, \(softmaxes) softmaxes")
            #expect(
                blocks.allSatisfy { $0.layers.count == 4 },
                "\(model): QKV (one MatMul), out, 2 FFN per block: \(blocks.map(\.layers.count))")
        }
    }

    static let minilm = Fixtures.packageRoot.appendingPathComponent("Models/cache/minilm/model.onnx").path

    @Test(
        "post-LN all-MiniLM-L6-v2 (fetched): one block per transformer layer, each ending at its last LayerNorm",
        .enabled(
            if: FileManager.default.fileExists(atPath: minilm),
            "Models/cache/minilm is absent: run python3 scripts/fetch_pretrained.py"))
    func postLN() throws {
        let g = try Session(modelPath: Self.minilm).graph
        let blocks = ResidualBlocks.find(in: g)
        #expect(blocks.count == 6, "\(blocks.map(\.output))")
        var producer = [String: Node]()
        for n in g.nodes { for o in n.outputs { producer[o] = n } }
        for (a, b) in zip(blocks, blocks.dropFirst()) { #expect(a.output == b.input) }
        #expect(
            blocks.allSatisfy {
                producer[$0.output]?.opType == "LayerNormalization" || producer[$0.output]?.opType == "Add"
            })
        #expect(blocks.dropLast().allSatisfy { producer[$0.output]?.opType == "LayerNormalization" })
    }

    @Test(
        """
        QwT over W4A4 on fmnist-resnet: every block fitted, error reduced, outputs closer to FP32, file round trip \
        bit-identical
        """
    )
    func resnetW4A4() throws {
        let (session, feeds) = try ModelQuantizationTests.prepared("fmnist-resnet")
        let q = try Quantizer.quantize(
            session.graph, method: .int8(Int8Settings(weightBits: 4, activationBits: 4)), calibration: feeds)
        let c = try QwT.compensate(q, reference: session.graph, feeds: feeds, settings: QwTSettings(), threads: 2)
        #expect(c.blocks.count == 3)
        for b in c.blocks {
            #expect(b.r2 > 0 && !b.gated && b.errorAfter < b.errorBefore, "\(b)")
            #expect(b.bytes > 0 && b.lambda == 1e-3)
        }
        // Logits on the calibration inputs: compensated closer to FP32 than the base.
        let out = session.outputs[0].name
        let base = try Session(graph: q.graph, options: SessionOptions(optimize: false))
        let comp = try Session(graph: c.graph, options: SessionOptions(optimize: false))
        var before = 0.0, after = 0.0
        for feed in feeds {
            let y = try session.run(feed)[out]!.floats
            before += ModelQuantizationTests.nmse(y, try base.run(feed)[out]!.floats)
            after += ModelQuantizationTests.nmse(y, try comp.run(feed)[out]!.floats)
        }
        #expect(after < before, "logit NMSE \(before) -> \(after)")
        // The inserted compensation computes what was fitted (weight layout, stride, groups, fp16).
        for (b, measured) in zip(c.blocks, try Self.measuredErrors(c, reference: session.graph, feeds: feeds)) {
            #expect(
                abs(measured - b.errorAfter) <= 2e-3 * b.errorAfter,
                "\(b.output): measured \(measured), fitted \(b.errorAfter)")
        }
        // The file holds the compensation as fp16 weights and loads back bit-identical.
        let bytes = try ModelFile.encode(c, method: "w4a4+qwt")
        let plain = try ModelFile.encode(q, method: "w4a4")
        let weights = c.graph.initializers.filter { $0.key.hasPrefix("qwt") && $0.key.hasSuffix(":weight") }.reduce(0) {
            $0 + $1.value.count
        }
        let biases = c.graph.initializers.filter { $0.key.hasPrefix("qwt") && $0.key.hasSuffix(":bias") }.reduce(0) {
            $0 + $1.value.count
        }
        #expect(c.compensationBytes == 2 * weights + 4 * biases)
        #expect(
            bytes.count > plain.count + c.compensationBytes && bytes.count < plain.count + c.compensationBytes + 4096,
            "the graph's extra nodes cost little")
        let loaded = try ModelFile.load(bytes, file: "memory.qbqm")
        for feed in feeds.prefix(2) {
            #expect(
                try Session(graph: loaded, options: SessionOptions(optimize: false)).run(feed)[out]!
                    == (try comp.run(feed)[out]!))
        }
        var again = QuantizedModel(graph: loaded, layers: c.layers, calibrationSeconds: 0, payloads: c.payloads)
        again.halfTensors = c.halfTensors
        #expect(try ModelFile.encode(again, method: "w4a4+qwt") == bytes)
    }

    @Test("blocks given by name replace the found ones; names not in the graph are refused")
    func customBlocks() throws {
        let (session, feeds) = try ModelQuantizationTests.prepared("fmnist-resnet")
        let q = try Quantizer.quantize(
            session.graph, method: .int8(Int8Settings(weightBits: 4, activationBits: 4)), calibration: feeds)
        let one = QwTSettings(blocks: [["/layers/layers.0/Relu_1_output_0", "/layers/layers.1/Relu_1_output_0"]])
        let c = try QwT.compensate(q, reference: session.graph, feeds: Array(feeds.prefix(1)), settings: one)
        #expect(c.blocks.map(\.output) == ["/layers/layers.1/Relu_1_output_0"] && c.blocks[0].form.contains("stride 2"))
        #expect(throws: QuantError.self) {
            try QwT.compensate(
                q, reference: session.graph, feeds: feeds,
                settings: QwTSettings(blocks: [["nope", "/layers/layers.1/Relu_1_output_0"]]))
        }
        // A block may not end at a quantized layer's own output (its node is the kernel's).
        #expect(throws: QuantError.self) {
            try QwT.compensate(
                q, reference: session.graph, feeds: feeds,
                settings: QwTSettings(blocks: [
                    ["/layers/layers.0/Relu_1_output_0", "/layers/layers.1/c2/Conv_output_0"]
                ]))
        }
    }

    @Test("QwT over a transformer (token blocks, linear form, lambda 0) reduces each block's error")
    func transformer() throws {
        let folder = Fixtures.packageRoot.appendingPathComponent("Models/austen-lm").path
        let session = try Session(modelPath: folder + "/model.onnx", options: SessionOptions(threads: 2))
        let feeds = try CalibrationSet.feeds(
            folder: folder, root: Fixtures.packageRoot.path, samples: 16, input: session.inputs[0].name
        ).feeds
        let q = try Quantizer.quantize(
            session.graph, method: .int8(Int8Settings(weightBits: 4, activationBits: 4)), calibration: feeds)
        let c = try QwT.compensate(q, reference: session.graph, feeds: feeds, threads: 2)
        #expect(!c.blocks.isEmpty)
        for b in c.blocks {
            #expect(b.form.hasPrefix("linear") && b.r2 > 0 && b.errorAfter < b.errorBefore, "\(b)")
        }
        for (b, measured) in zip(c.blocks, try Self.measuredErrors(c, reference: session.graph, feeds: feeds)) {
            #expect(
                abs(measured - b.errorAfter) <= 2e-3 * b.errorAfter,
                "\(b.output): measured \(measured), fitted \(b.errorAfter)")
        }
    }
}
