import Foundation
import ONNXProto
import QBEngine
import QBModelBuilder
@testable import QBQuant
import Testing

/// A quantized model whose graph holds control flow writes its subgraphs into the `.qbqm` file and reads them back.
@Suite("Control flow in .qbqm files")
struct ControlFlowModelFileTests {
    @Test("an If that captures a quantized layer's output round-trips through the file and computes the same")
    func ifRoundTrip() throws {
        var thenBody = ModelBuilder()
        thenBody.node("Relu", ["hidden"], ["then_y"])
        thenBody.output("then_y", ["n", 3])
        var elseBody = ModelBuilder()
        elseBody.node("Neg", ["hidden"], ["else_y"])
        elseBody.output("else_y", ["n", 3])
        var model = ModelBuilder()
        model.input("x", ["n", 4])
        model.input("flag", [], type: 9)
        let weights: [Float] = (0..<12).map { Float($0 % 5) / 4 - 0.5 }
        model.initializer(ModelBuilder.tensor("w", [4, 3], weights))
        model.node("MatMul", ["x", "w"], ["hidden"], name: "project")
        model.node(
            "If", ["flag"], ["y"], name: "choose",
            ["then_branch": thenBody.body("then"), "else_branch": elseBody.body("else")])
        model.output("y", ["n", 3])
        let session = try Session(graph: try model.graph())
        let x = Value(shape: [2, 4], floats: [0.1, -0.4, 0.9, 0.3, -0.7, 0.2, 0.5, -0.1])
        let feeds = [["x": x, "flag": Value(type: .bool, shape: [], ints: [1])]]
        let quantized = try Quantizer.quantize(session.graph, method: .int8(Int8Settings()), calibration: feeds)
        let bytes = try ModelFile.encode(quantized, method: "int8")
        let loaded = try ModelFile.load(bytes, file: "memory.qbqm")
        let original = try Session(graph: quantized.graph, options: SessionOptions(optimize: false))
        let reread = try Session(graph: loaded, options: SessionOptions(optimize: false))
        for flag: Int64 in [0, 1] {
            let feed = ["x": x, "flag": Value(type: .bool, shape: [], ints: [flag])]
            #expect(try reread.run(feed)["y"]! == original.run(feed)["y"]!)
        }
        var again = quantized
        again.graph = loaded
        #expect(try ModelFile.encode(again, method: "int8") == bytes)
    }
}
