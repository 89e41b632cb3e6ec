import Foundation
import ONNXProto
@testable import QBEngine
import QBModelBuilder
import Testing

/// If, Loop and Scan: bodies that read values of the graph around them (also after the rewrites rename those
/// values), the loop limit, and bodies that read a name defined nowhere. The operators' results on the ONNX node
/// tests are checked in `ConformanceTests`.
@Suite("Control flow: If, Loop and Scan with captured values, limits and bad bodies")
struct ControlFlowTests {
    /// y = If(sum(x) > 0) then x + offset else x * offset, where `offset` is an Identity of an initializer of the
    /// main graph (the rewrites remove the Identity, renaming what the branches capture).
    static func ifModel() throws -> ModelBuilder {
        var thenBody = ModelBuilder()
        thenBody.node("Add", ["x", "offset"], ["then_y"])
        thenBody.output("then_y", [3])
        var elseBody = ModelBuilder()
        elseBody.node("Mul", ["x", "offset"], ["else_y"])
        elseBody.output("else_y", [3])
        var model = ModelBuilder()
        model.input("x", [3])
        model.initializer(ModelBuilder.tensor("offset_weights", [3], [10, 20, 30]))
        model.initializer(ModelBuilder.tensor("zero", [], [0]))
        model.node("Identity", ["offset_weights"], ["offset"])
        model.node("ReduceSum", ["x"], ["total"], ["keepdims": 0])
        model.node("Greater", ["total", "zero"], ["positive"])
        model.node(
            "If", ["positive"], ["y"], name: "branch",
            ["then_branch": thenBody.body("then"), "else_branch": elseBody.body("else")])
        model.output("y", [3])
        return model
    }

    @Test("If runs the branch the condition picks, with captured values, plain and optimized")
    func ifBranches() throws {
        for optimize in [false, true] {
            let session = try Session(graph: try Self.ifModel().graph(), options: SessionOptions(optimize: optimize))
            let up = try session.run(["x": Value(shape: [3], floats: [1, 2, 3])])["y"]!
            #expect(up.floats == [11, 22, 33])
            let down = try session.run(["x": Value(shape: [3], floats: [-1, -2, 1])])["y"]!
            #expect(down.floats == [-10, -40, 30])
        }
    }

    /// A Loop: trip count `M`, carried value `sum` (adds `step`, captured), scan output the running sum.
    static func loopModel(condition: Bool) -> ModelBuilder {
        var body = ModelBuilder()
        body.input("i", [], type: 7)
        body.input("cond_in", [], type: 9)
        body.input("sum_in", [2])
        body.node("Add", ["sum_in", "step"], ["sum_out"])
        body.node("Identity", ["cond_in"], ["cond_out"])
        body.output("cond_out", [], type: 9)
        body.output("sum_out", [2])
        body.node("Identity", ["sum_out"], ["trace"])
        body.output("trace", [2])
        var model = ModelBuilder()
        model.input("start", [2])
        model.initializer(ModelBuilder.tensor("step", [2], [1, 0.5]))
        var trips = ModelBuilder.intTensor("trips", [4])
        trips.dims = []
        model.initializer(trips)
        var always = ModelBuilder.intTensor("always", [])
        always.dataType = 9
        always.dims = []
        always.int32Data = [1]
        model.initializer(always)
        model.node(
            "Loop", [condition ? "" : "trips", condition ? "always" : "", "start"], ["final", "traces"],
            name: "accumulate", ["body": body.body("accumulate_body")])
        model.output("final", [2])
        model.output("traces", ["steps", 2])
        return model
    }

    @Test("Loop carries values for M iterations and stacks its scan outputs")
    func loopCounts() throws {
        let session = try Session(graph: try Self.loopModel(condition: false).graph())
        let out = try session.run(["start": Value(shape: [2], floats: [0, 0])])
        #expect(out["final"]!.floats == [4, 2])
        #expect(out["traces"]!.shape == [4, 2])
        #expect(out["traces"]!.floats == [1, 0.5, 2, 1, 3, 1.5, 4, 2])
    }

    @Test("a Loop whose condition never turns false stops at the iteration limit with an error naming the node")
    func loopLimit() throws {
        var options = SessionOptions()
        options.limits.maxLoopIterations = 100
        let session = try Session(graph: try Self.loopModel(condition: true).graph(), options: options)
        #expect {
            _ = try session.run(["start": Value(shape: [2], floats: [0, 0])])
        } throws: { error in
            let text = "\(error)"
            return text.contains("accumulate") && text.contains("100 iterations")
        }
    }

    @Test("Scan runs forwards and backwards along the scan axis, carrying a state")
    func scanDirections() throws {
        var body = ModelBuilder()
        body.input("state_in", [2])
        body.input("row", [2])
        body.node("Add", ["state_in", "row"], ["state_out"])
        body.node("Identity", ["state_out"], ["partial"])
        body.output("state_out", [2])
        body.output("partial", [2])
        var model = ModelBuilder()
        model.input("init", [2])
        model.input("rows", [3, 2])
        model.node(
            "Scan", ["init", "rows"], ["total", "partials"], name: "running_sum",
            ["body": body.body("running_sum_body"), "num_scan_inputs": 1, "scan_input_directions": [1]])
        model.output("total", [2])
        model.output("partials", [3, 2])
        let session = try Session(graph: try model.graph())
        let out = try session.run([
            "init": Value(shape: [2], floats: [0, 0]), "rows": Value(shape: [3, 2], floats: [1, 2, 3, 4, 5, 6]),
        ])
        #expect(out["total"]!.floats == [9, 12])
        // Backwards: rows 2, 1, 0 are added in that order.
        #expect(out["partials"]!.floats == [5, 6, 8, 10, 9, 12])
    }

    @Test("a body that reads a name defined nowhere is refused at load, naming the node, subgraph and name")
    func undefinedCapture() throws {
        var thenBody = ModelBuilder()
        thenBody.node("Add", ["x", "nowhere"], ["then_y"])
        thenBody.output("then_y", [3])
        var elseBody = ModelBuilder()
        elseBody.node("Identity", ["x"], ["else_y"])
        elseBody.output("else_y", [3])
        var model = ModelBuilder()
        model.input("x", [3])
        model.input("c", [], type: 9)
        model.node(
            "If", ["c"], ["y"], name: "reads_nowhere",
            ["then_branch": thenBody.body("then"), "else_branch": elseBody.body("else")])
        model.output("y", [3])
        #expect {
            _ = try model.graph()
        } throws: { error in
            let text = "\(error)"
            return text.contains("reads_nowhere") && text.contains("then_branch") && text.contains("'nowhere'")
        }
    }
}
