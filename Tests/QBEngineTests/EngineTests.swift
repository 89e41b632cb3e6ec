import Foundation
import ONNXProto
@testable import QBEngine
import QBTestSupport
import QBModelBuilder
import Testing

/// A small residual CNN: Conv+BN+Relu, Conv+BN, Add (residual), Relu, GlobalAveragePool, Flatten, Gemm.
func residualModel(batch: Any = "N") -> ModelBuilder {
    var m = ModelBuilder()
    m.input("x", [batch, 3, 9, 11])
    m.output("y", [batch, 5])
    m.initializer(ModelBuilder.tensor("w1", [3, 3, 3, 3], randomFloats(81, seed: 1)))
    m.initializer(ModelBuilder.tensor("w2", [3, 3, 3, 3], randomFloats(81, seed: 2)))
    for (i, name) in ["bn1", "bn2"].enumerated() {
        m.initializer(ModelBuilder.tensor(name + "_s", [3], randomFloats(3, seed: UInt64(10 + i)).map { 1 + $0 / 2 }))
        m.initializer(ModelBuilder.tensor(name + "_b", [3], randomFloats(3, seed: UInt64(20 + i))))
        m.initializer(ModelBuilder.tensor(name + "_m", [3], randomFloats(3, seed: UInt64(30 + i))))
        m.initializer(ModelBuilder.tensor(name + "_v", [3], randomFloats(3, seed: UInt64(40 + i)).map { 1 + $0 / 2 }))
    }
    m.initializer(ModelBuilder.tensor("fc_w", [5, 3], randomFloats(15, seed: 5)))
    m.initializer(ModelBuilder.tensor("fc_b", [5], randomFloats(5, seed: 6)))
    m.node("Conv", ["x", "w1"], ["c1"], ["pads": [1, 1, 1, 1]])
    m.node("BatchNormalization", ["c1", "bn1_s", "bn1_b", "bn1_m", "bn1_v"], ["b1"])
    m.node("Relu", ["b1"], ["r1"])
    m.node("Conv", ["r1", "w2"], ["c2"], ["auto_pad": "SAME_UPPER"])
    m.node("BatchNormalization", ["c2", "bn2_s", "bn2_b", "bn2_m", "bn2_v"], ["b2"])
    m.node("Add", ["b2", "x"], ["s"])
    m.node("Relu", ["s"], ["r2"])
    m.node("GlobalAveragePool", ["r2"], ["g"])
    m.node("Flatten", ["g"], ["f"])
    m.node("Gemm", ["f", "fc_w", "fc_b"], ["y"], ["transB": 1])
    return m
}

@Suite("The engine: import, checks, execution, rewrites")
struct EngineTests {
    @Test("rewrites change nothing but rounding; threads change nothing at all")
    func optimizeAndThreads() throws {
        let graph = try residualModel().graph()
        let x = Value(shape: [2, 3, 9, 11], floats: randomFloats(2 * 3 * 99, seed: 7))
        let plain = try Session(graph: graph, options: SessionOptions(optimize: false, threads: 1)).run(["x": x])["y"]!
        let optimized = try Session(graph: graph, options: SessionOptions(optimize: true, threads: 1))
        #expect(
            optimized.graph.nodes.map(\.opType) == [
                "Conv", "Conv", "Add", "Relu", "GlobalAveragePool", "Flatten", "Gemm",
            ])
        let fast = try optimized.run(["x": x])["y"]!
        #expect(fast.shape == [2, 5])
        let diff = Tolerance.worst(zip(plain.floats, fast.floats).map { abs($0 - $1) })
        #expect(diff < 1e-5, "optimized vs plain: \(diff)")
        let two = try Session(graph: graph, options: SessionOptions(optimize: true, threads: 2)).run(["x": x])["y"]!
        #expect(two == fast)
    }

    @Test("a symbolic batch is checked and bound consistently")
    func symbolicBatch() throws {
        let session = try Session(graph: try residualModel().graph())
        #expect(
            try session.run(["x": Value(shape: [3, 3, 9, 11], floats: randomFloats(297 * 3, seed: 1))])["y"]!.shape == [
                3, 5,
            ])
        #expect(throws: EngineError.self) {
            try session.run(["x": Value(shape: [1, 3, 9, 12], floats: randomFloats(324, seed: 1))])
        }
        #expect(throws: EngineError.self) { try session.run([:]) }
        #expect(throws: EngineError.self) {
            try session.run(["x": Value(shape: [1, 3, 9, 11], ints: [Int64](repeating: 0, count: 297))])
        }
    }

    @Test("every unsupported operator is listed at once, with its nodes")
    func unsupported() throws {
        var m = ModelBuilder()
        m.input("x", [1, 4])
        m.output("y", [1, 4])
        m.node("Relu", ["x"], ["a"])
        m.node("FancyOp", ["a"], ["b"], name: "first")
        m.node("OtherOp", ["b"], ["c"], name: "second")
        m.node("FancyOp", ["c"], ["y"], name: "third")
        do {
            _ = try Session(graph: try m.graph())
            Issue.record("accepted")
        } catch let e as EngineError {
            #expect(e.kind == .unsupported)
            #expect(
                e.reason.contains("FancyOp (2 nodes: first, third)") && e.reason.contains("OtherOp (1 node: second)"),
                "\(e)")
        }
    }

    @Test("shape mismatches name the node and the operator")
    func shapeMismatch() throws {
        var m = ModelBuilder()
        m.input("x", ["N", 4])
        m.output("y")
        m.initializer(ModelBuilder.tensor("w", [5, 3], randomFloats(15, seed: 1)))
        m.node("MatMul", ["x", "w"], ["y"], name: "proj")
        do {
            _ = try Session(graph: try m.graph(file: "bad.onnx"))
            Issue.record("accepted")
        } catch let e as EngineError {
            #expect(e.kind == .shapeMismatch && e.node == "node 'proj' (MatMul)" && e.file == "bad.onnx", "\(e)")
        }
    }

    @Test("malformed models: garbage, cycles, missing producers, negative dims")
    func malformed() throws {
        #expect(throws: EngineError.self) {
            try ModelLoader.load(Data([0x08, 0x96, 0x01, 0xFF, 0xFF]), file: "junk.onnx")
        }
        #expect(throws: EngineError.self) { try ModelLoader.load(Data(), file: "empty.onnx") }
        var cyclic = ModelBuilder()
        cyclic.input("x", [1])
        cyclic.output("y", [1])
        cyclic.node("Add", ["x", "b"], ["a"])
        cyclic.node("Relu", ["a"], ["b"])
        cyclic.node("Relu", ["a"], ["y"])
        do {
            _ = try cyclic.graph()
            Issue.record("cycle accepted")
        } catch let e as EngineError { #expect(e.reason.contains("cycle"), "\(e)") }
        var orphan = ModelBuilder()
        orphan.input("x", [1])
        orphan.output("y", [1])
        orphan.node("Add", ["x", "nothing"], ["y"])
        do {
            _ = try orphan.graph()
            Issue.record("orphan accepted")
        } catch let e as EngineError { #expect(e.reason.contains("'nothing'"), "\(e)") }
        var negative = ModelBuilder()
        negative.input("x", [1])
        negative.output("y", [1])
        var t = ModelBuilder.tensor("w", [1], [1])
        t.dims = [-3]
        negative.initializer(t)
        negative.node("Add", ["x", "w"], ["y"])
        #expect(throws: EngineError.self) { try negative.graph() }
    }

    @Test("external data must stay inside the model's folder")
    func externalData() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func model(location: String) throws -> String {
            try externalDataModel(["location": location], in: dir, name: "m-\(abs(location.hashValue)).onnx")
        }
        var bytes = Data()
        for f: Float in [10, 20] { withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        try bytes.write(to: dir.appendingPathComponent("weights.bin"))
        let ok = try Session(modelPath: try model(location: "weights.bin"))
        #expect(try ok.run(["x": Value(shape: [2], floats: [1, 2])])["y"]!.floats == [11, 22])
        for bad in ["../outside.bin", "/etc/passwd", "sub/../../x.bin"] {
            do {
                _ = try ModelLoader.load(try model(location: bad))
                Issue.record("\(bad) followed")
            } catch let e as EngineError {
                #expect(e.reason.contains("outside") || e.reason.contains("absolute"), "\(e)")
            }
        }
    }

    @Test("a declared dimension of -1 (older exporters' dynamic dimension) is read as dynamic, with one notice")
    func minusOneIsDynamic() throws {
        var model = ModelBuilder()
        model.input("x", [-1, 3])
        model.input("z", [-1, 3])
        model.output("y", [-1, 3])
        model.node("Add", ["x", "z"], ["y"])
        let graph = try model.graph()
        #expect(graph.inputs[0].shape == [.unknown, .fixed(3)])
        #expect(graph.notices.count == 1)
        #expect(graph.notices.first?.contains("'x', 'z', 'y' declare dimension -1") == true, "\(graph.notices)")
        let x = Value(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let y = try Session(graph: graph).run(["x": x, "z": x])["y"]!
        #expect(y.shape == [2, 3] && y.floats == [2, 4, 6, 8, 10, 12])
        // A model without -1 has no notice.
        #expect(try residualModel().graph().notices.isEmpty)
    }

    @Test(
        """
        malicious declarations are refused with an error, never followed: negative or huge declared shapes, bad \
        external offsets and lengths, huge .npy shapes
        """
    )
    func maliciousDeclarations() throws {
        var negative = ModelBuilder()
        negative.input("x", [-2])
        negative.output("y", [2])
        negative.node("Relu", ["x"], ["y"])
        do {
            _ = try negative.graph()
            Issue.record("negative dim accepted")
        } catch let e as EngineError { #expect(e.reason.contains("negative"), "\(e)") }
        // 2^31 x 2^31 x 2^31 elements overflow any product: refused by the element limit, no arithmetic trap.
        var huge = ModelBuilder()
        huge.input("x", [1 << 31, 1 << 31, 1 << 31])
        huge.output("y", [1])
        huge.node("Flatten", ["x"], ["f"])
        huge.node("ReduceSum", ["f"], ["y"])
        do {
            _ = try huge.graph()
            Issue.record("huge shape accepted")
        } catch let e as EngineError { #expect(e.kind == .limit, "\(e)") }
        // Reshape targets whose product overflows: a shape error, not a trap.
        var reshape = ModelBuilder()
        reshape.input("x", [4])
        reshape.output("y", [4])
        reshape.initializer(ModelBuilder.intTensor("s", [1 << 40, 1 << 40, -1]))
        reshape.node("Reshape", ["x", "s"], ["y"])
        #expect(throws: EngineError.self) {
            try Session(graph: try reshape.graph()).run(["x": Value(shape: [4], floats: [1, 2, 3, 4])])
        }
        // External data with a negative length or a non-numeric offset.
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(count: 64).write(to: dir.appendingPathComponent("w.bin"))
        for (key, value) in [("length", "-8"), ("offset", "x12"), ("offset", "-4")] {
            let path = try externalDataModel(["location": "w.bin", key: value], in: dir, name: "m.onnx")
            do {
                _ = try ModelLoader.load(path)
                Issue.record("\(key) \(value) accepted")
            } catch let err as EngineError {
                #expect(err.reason.contains(key), "\(err)")
            }
        }
        // A .npy header declaring 2^62 elements, and one over a small limit.
        func npy(_ shape: String) -> [UInt8] {
            var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
            while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
            header += "\n"
            return [0x93] + Array("NUMPY".utf8) + [
                1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8),
            ] + Array(header.utf8)
        }
        do {
            _ = try NPYFile.parse(npy("(2147483648, 2147483648, 4)"), file: "huge.npy")
            Issue.record("huge .npy accepted")
        } catch let e as EngineError {
            #expect(e.kind == .limit, "\(e)")
        }
        #expect(throws: EngineError.self) {
            try NPYFile.parse(npy("(10, 10)") + [UInt8](repeating: 0, count: 400), file: "small.npy", maxElements: 99)
        }
        #expect(
            try NPYFile.parse(npy("(10, 10)") + [UInt8](repeating: 0, count: 400), file: "ok.npy", maxElements: 100)
                .shape == [10, 10])
    }

    @Test("the hook captures every value and can replace one")
    func hooks() throws {
        let session = try Session(graph: try residualModel().graph(), options: SessionOptions(optimize: false))
        let x = Value(shape: [1, 3, 9, 11], floats: randomFloats(297, seed: 3))
        var seen = [String]()
        let normal = try session.run(["x": x]) { name, _, _ in
            seen.append(name)
            return nil
        }["y"]!
        #expect(seen.count == 10 && seen.contains("c1") && seen.last == "y")
        let zeroed = try session.run(["x": x]) { name, _, v in
            name == "g" ? Value(shape: v.shape, floats: [Float](repeating: 0, count: v.count)) : nil
        }["y"]!
        #expect(zeroed.floats == randomFloats(5, seed: 6), "with pooled features zeroed the output is the Gemm bias")
        #expect(normal != zeroed)
    }

    @Test("NumPy .npy round trip and bad files")
    func npy() throws {
        let v = Value(shape: [2, 3], floats: [1, 2, 3, 4, 5, -6.5])
        #expect(try NPYFile.parse([UInt8](NPYFile.encode(v)), file: "a.npy") == v)
        let i = Value(shape: [4], ints: [1, -2, 3, 1 << 40])
        #expect(try NPYFile.parse([UInt8](NPYFile.encode(i)), file: "b.npy") == i)
        #expect(throws: EngineError.self) { try NPYFile.parse(Array("hello".utf8), file: "c.npy") }
        var truncated = [UInt8](NPYFile.encode(v))
        truncated.removeLast(3)
        #expect(throws: EngineError.self) { try NPYFile.parse(truncated, file: "d.npy") }
    }
}

@Suite("ONNX node conformance (Debian libonnx-testdata)")
struct ConformanceTests {
    static let root = "/usr/share/libonnx-testdata/data/node"

    @Test(
        "every test of a supported operator passes, plain and optimized",
        .enabled(
            if: FileManager.default.fileExists(atPath: root),
            "libonnx-testdata is not installed (apt-get install libonnx-testdata)"))
    func nodeTests() {
        for optimize in [false, true] {
            let cases = Conformance.run(root: Self.root, optimize: optimize)
            let failed = cases.filter {
                if case .failed = $0.outcome { return true }
                return false
            }
            for c in failed.prefix(10) { Issue.record("\(c.name): \(c.outcome)") }
            #expect(failed.isEmpty)
            // The count that passes today; it may only grow.
            #expect(cases.filter { $0.outcome == .passed }.count >= 839)
        }
    }
}

@Suite("Hostile shapes computed from data are refused, never trapped on")
struct HostileShapeTests {
    func run(_ op: String, _ inputs: [Value], attributes: [String: Any] = [:]) throws -> Value {
        var m = ModelBuilder()
        var names = [String]()
        for (i, v) in inputs.enumerated() {
            let name = "in\(i)"
            names.append(name)
            m.input(name, v.shape, type: v.type.rawValue)
        }
        m.output("y", unranked: true)
        m.node(op, names, ["y"], attributes)
        let session = try Session(graph: try m.graph())
        var feeds = [String: Value]()
        for (i, v) in inputs.enumerated() { feeds["in\(i)"] = v }
        return try session.run(feeds)["y"]!
    }

    @Test("ConstantOfShape, Expand, Tile and Range with overflowing sizes")
    func overflow() {
        let huge: Int64 = 1 << 40
        #expect(throws: EngineError.self) { try run("ConstantOfShape", [Value(shape: [3], ints: [huge, huge, huge])]) }
        #expect(throws: EngineError.self) { try run("ConstantOfShape", [Value(shape: [2], ints: [4, -1])]) }
        #expect(throws: EngineError.self) {
            try run("Expand", [Value(shape: [1], floats: [1]), Value(shape: [2], ints: [huge, huge])])
        }
        #expect(throws: EngineError.self) {
            try run("Tile", [Value(shape: [2], floats: [1, 2]), Value(shape: [1], ints: [Int64.max])])
        }
        #expect(throws: EngineError.self) {
            try run(
                "Range",
                [Value(shape: [], ints: [0]), Value(shape: [], ints: [Int64.max]), Value(shape: [], ints: [1])])
        }
        #expect(throws: EngineError.self) {
            try run("Gather", [Value(shape: [3], floats: [1, 2, 3]), Value(shape: [1], ints: [7])])
        }
    }
}

/// y = x + w with w (2 floats) in external data described by `entries` (location, offset, length), written to
/// `dir/name`; returns its path.
func externalDataModel(_ entries: [String: String], in dir: URL, name: String) throws -> String {
    var m = ModelBuilder()
    m.input("x", [2])
    m.output("y", [2])
    var t = Onnx_TensorProto()
    t.name = "w"
    t.dims = [2]
    t.dataType = 1
    t.dataLocation = .external
    t.externalData = entries.sorted { $0.key < $1.key }.map { k, v in
        var e = Onnx_StringStringEntryProto()
        e.key = k
        e.value = v
        return e
    }
    m.initializer(t)
    m.node("Add", ["x", "w"], ["y"])
    let path = dir.appendingPathComponent(name).path
    try m.data().write(to: URL(fileURLWithPath: path))
    return path
}
