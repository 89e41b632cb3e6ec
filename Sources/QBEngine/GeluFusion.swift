/// Rewrite 5 of the optimizer: the erf form of GELU as torch.onnx exports it,
/// `Mul(Mul(X, Add(Erf(Div(X, d)), 1)), 0.5)` (operands of Add and Mul in either order, d a scalar
/// constant), becomes one `Gelu` node that computes exactly those operations per element
/// (`qbv_gelu_erf` in qb_vecmath_ops.h: `(x * (erf(x / d) + 1)) * 0.5`), so the fused graph gives the same
/// bits as the five nodes, in one pass over the tensor instead of five. Applies only when every
/// intermediate value has a single reader and is not a graph output.
extension GraphOptimizer {
    static func fuseGelu(_ nodes: [Node], initializers: [String: Value], graphOutputs: Set<String>) -> [Node] {
        let use = consumers(nodes)
        func scalar(_ name: String) -> Float? {
            guard let v = initializers[name], v.type == .float, v.count == 1 else { return nil }
            return v.floats[0]
        }
        /// The node reading `value`, when it is the only reader and `value` is not a graph output.
        func soleReader(of value: String, from: Int) -> Int? {
            guard use[value] == 1, !graphOutputs.contains(value) else { return nil }
            return nodes.indices.dropFirst(from + 1).first { nodes[$0].inputs.contains(value) }
        }
        /// The operand of a binary node other than `value`.
        func other(_ node: Node, than value: String) -> String? {
            guard node.inputs.count == 2 else { return nil }
            if node.inputs[0] == value { return node.inputs[1] }
            if node.inputs[1] == value { return node.inputs[0] }
            return nil
        }
        var removed = Set<Int>()
        var replacement = [Int: Node]()
        for (i, div) in nodes.enumerated() where div.opType == "Div" && div.inputs.count == 2 && !removed.contains(i) {
            let x = div.inputs[0]
            guard let divisor = scalar(div.inputs[1]), !x.isEmpty,
                let e = soleReader(of: div.outputs[0], from: i), nodes[e].opType == "Erf",
                let a = soleReader(of: nodes[e].outputs[0], from: e), nodes[a].opType == "Add",
                let one = other(nodes[a], than: nodes[e].outputs[0]), scalar(one) == 1,
                let m = soleReader(of: nodes[a].outputs[0], from: a), nodes[m].opType == "Mul",
                other(nodes[m], than: nodes[a].outputs[0]) == x,
                let h = soleReader(of: nodes[m].outputs[0], from: m), nodes[h].opType == "Mul",
                let half = other(nodes[h], than: nodes[m].outputs[0]), scalar(half) == 0.5
            else { continue }
            let fused = Node(
                name: nodes[h].name.isEmpty ? div.name : nodes[h].name, opType: "Gelu", inputs: [x],
                outputs: nodes[h].outputs, attributes: ["approximate": .string("none"), "qb_divisor": .float(divisor)])
            // The fused node takes the last node's place, where every reader of X has already run or waits.
            replacement[h] = fused
            removed.formUnion([i, e, a, m])
        }
        return nodes.enumerated().compactMap { i, n in removed.contains(i) ? nil : replacement[i] ?? n }
    }
}
