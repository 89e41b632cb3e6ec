import QBEngine

/// A block QwT compensates: the value entering it and the value leaving it.
public struct ResidualBlock: Sendable, Equatable, Codable {
    public var input: String
    public var output: String
    /// The quantizable layers inside (by output value).
    public var layers: [String]

    public init(input: String, output: String, layers: [String] = []) {
        self.input = input
        self.output = output
        self.layers = layers
    }
}

/// Finds the blocks of a graph from its residual connections (QwT's unit: a residual block of a CNN, a
/// transformer block of an encoder or language model).
///
/// A residual Add is an Add of two computed values with a common ancestor through data (Shape and Size
/// cut the ancestry: a value's shape is not its data). The block runs from the latest common ancestor
/// (where the branches split) to the Add, extended through a following activation (Relu, Clip, ...) that
/// is the Add's only reader. Segments without a quantizable layer (e.g. token + position embeddings) are
/// not blocks. A segment holding a Softmax (an attention sublayer) is joined with the segment right after
/// it (its feed-forward sublayer, also across a post-LN LayerNormalization), so a transformer block is
/// one block; a block's output moves to the next block's input when only non-layer nodes with one reader
/// each lie between. Nested or overlapping segments are dropped.
public enum ResidualBlocks {
    static let activations: Set<String> = [
        "Relu", "Clip", "LeakyRelu", "HardSwish", "HardSigmoid", "Sigmoid", "Tanh", "Gelu", "Elu", "Selu",
    ]

    public static func find(in graph: Graph) -> [ResidualBlock] {
        var producer = [String: Int]()
        for (i, n) in graph.nodes.enumerated() { for o in n.outputs where !o.isEmpty { producer[o] = i } }
        var readers = [String: [Int]]()
        for (i, n) in graph.nodes.enumerated() {
            for v in n.inputs where !v.isEmpty { readers[v, default: []].append(i) }
        }
        let layerOutputs = Set(LayerSpec.find(in: graph).map(\.output))
        // Values computed from shapes and constants only (Shape -> Gather -> Concat -> Reshape's shape, a
        // causal mask sliced to the sequence length): not data, so not a place where branches split.
        var shapeMemo = [String: Bool]()
        func shapeOnly(_ v: String) -> Bool {
            if let m = shapeMemo[v] { return m }
            guard let p = producer[v] else {
                shapeMemo[v] = graph.initializers[v] != nil
                return shapeMemo[v]!
            }
            let n = graph.nodes[p]
            let r =
                ["Shape", "Size", "Constant", "ConstantOfShape"].contains(n.opType)
                || n.inputs.allSatisfy { $0.isEmpty || graph.initializers[$0] != nil || shapeOnly($0) }
            shapeMemo[v] = r
            return r
        }
        var memo = [String: Set<String>]()
        func ancestors(_ v: String) -> Set<String> {
            if let m = memo[v] { return m }
            var out: Set<String> = [v]
            if let p = producer[v], !["Shape", "Size"].contains(graph.nodes[p].opType) {
                for i in graph.nodes[p].inputs where !i.isEmpty && graph.initializers[i] == nil && !shapeOnly(i) {
                    out.formUnion(ancestors(i))
                }
            }
            memo[v] = out
            return out
        }
        func index(_ v: String) -> Int { producer[v] ?? -1 }
        struct Segment {
            var split: String
            var end: String
            var layers: [String]
            var attention: Bool
        }
        var segments = [Segment]()
        for (i, n) in graph.nodes.enumerated() where n.opType == "Add" && n.domain.isEmpty && n.inputs.count == 2 {
            guard n.inputs.allSatisfy({ graph.initializers[$0] == nil && !shapeOnly($0) }) else { continue }
            let a = ancestors(n.inputs[0]), b = ancestors(n.inputs[1])
            guard let split = a.intersection(b).max(by: { (index($0), $0) < (index($1), $1) }) else { continue }
            let inside = a.union(b).filter { index($0) > index(split) }
            let layers = graph.nodes.indices.filter { $0 > index(split) && $0 <= i }.flatMap { graph.nodes[$0].outputs }
                .filter { layerOutputs.contains($0) && inside.contains($0) }
            guard !layers.isEmpty else { continue }
            var end = n.outputs[0]
            while let r = readers[end], r.count == 1, activations.contains(graph.nodes[r[0]].opType),
                !graph.outputs.contains(where: { $0.name == end })
            {
                end = graph.nodes[r[0]].outputs[0]
            }
            let attention = inside.contains { producer[$0].map { graph.nodes[$0].opType == "Softmax" } ?? false }
            segments.append(Segment(split: split, end: end, layers: layers, attention: attention))
        }
        // Whether `target` follows `v` through a chain of single-reader, single-output nodes that are not
        // layers (a post-LN transformer's LayerNormalization between its sublayers).
        func leadsTo(_ v: String, _ target: String) -> Bool {
            var v = v
            for _ in 0..<8 {
                if v == target { return true }
                guard let r = readers[v], r.count == 1, graph.nodes[r[0]].outputs.count == 1,
                    !layerOutputs.contains(graph.nodes[r[0]].outputs[0])
                else { return false }
                v = graph.nodes[r[0]].outputs[0]
            }
            return v == target
        }
        var blocks = [ResidualBlock]()
        var k = 0
        while k < segments.count {
            var s = segments[k]
            if s.attention, k + 1 < segments.count, leadsTo(s.end, segments[k + 1].split) {
                s = Segment(
                    split: s.split, end: segments[k + 1].end, layers: s.layers + segments[k + 1].layers, attention: true
                )
                k += 1
            }
            k += 1
            if let last = blocks.last, index(s.split) < index(last.output) { continue }  // nested or overlapping
            blocks.append(ResidualBlock(input: s.split, output: s.end, layers: s.layers))
        }
        // A block ends where the next begins when only such a chain lies between (post-LN: the block's
        // output is its LayerNormalization's).
        for i in blocks.indices.dropLast()
        where blocks[i].output != blocks[i + 1].input && leadsTo(blocks[i].output, blocks[i + 1].input) {
            blocks[i].output = blocks[i + 1].input
        }
        return blocks
    }
}
