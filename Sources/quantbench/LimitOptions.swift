import ArgumentParser
import QBEngine

/// The engine's resource limits for untrusted models (README, "Limits on untrusted input").
struct LimitOptions: ParsableArguments {
    @Option(help: "Largest ONNX model (or external data) in bytes.")
    var maxModelBytes: Int = EngineLimits().maxModelBytes

    @Option(help: "Most elements of any tensor (initializers, declared inputs and outputs, computed values).")
    var maxTensorElements: Int = EngineLimits().maxTensorElements

    @Option(help: "Most nodes in a graph.")
    var maxNodes: Int = EngineLimits().maxNodes

    @Option(help: "Deepest protobuf nesting of a model file.")
    var maxNesting: Int = EngineLimits().maxNestingDepth

    func validate() throws {
        guard maxModelBytes > 0, maxTensorElements > 0, maxNodes > 0, maxNesting > 0 else {
            throw ValidationError(
                "--max-model-bytes, --max-tensor-elements, --max-nodes and --max-nesting must be positive")
        }
    }

    var limits: EngineLimits {
        var l = EngineLimits()
        l.maxModelBytes = maxModelBytes
        l.maxTensorElements = maxTensorElements
        l.maxNodes = maxNodes
        l.maxNestingDepth = maxNesting
        return l
    }

    /// Session options with these limits.
    func session(optimize: Bool = true, threads: Int) -> SessionOptions {
        var o = SessionOptions(optimize: optimize, threads: threads)
        o.limits = limits
        return o
    }
}
