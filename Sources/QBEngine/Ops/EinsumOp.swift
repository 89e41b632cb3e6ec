/// Einsum (opset 12+), per the ONNX spec: an equation `"ij,jk->ik"` names each operand's axes with letters;
/// letters in the output are kept, the others summed over; a letter repeated within an operand takes the diagonal;
/// `...` stands for broadcast axes (aligned from the right across operands); without `->` the output is the
/// broadcast axes then the letters that appear once, in alphabetical order. The sums run in Float32 over the summed
/// letters in row-major order (Int64 for integer operands).
enum EinsumOp {
    static func register(_ r: inout [String: OperatorDef]) {
        r["Einsum"] = OperatorDef(
            run: run,
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                return [TypeInfo(type: x.type, shape: nil)]
            })
    }

    /// A parsed equation: each operand's axis labels and the output's (letters as their code, broadcast axes as
    /// `ellipsisBase + k`).
    struct Equation {
        static let ellipsisBase = 1000
        var operands: [[Int]]
        var output: [Int]
    }

    static func parse(_ ctx: OpContext, _ text: String, ranks: [Int]) throws -> Equation {
        let equation = text.filter { !$0.isWhitespace }
        let sides = equation.components(separatedBy: "->")
        guard sides.count <= 2 else { throw ctx.fail(.badAttribute, "equation '\(text)' has more than one '->'") }
        let terms = sides[0].components(separatedBy: ",")
        guard terms.count == ranks.count else {
            throw ctx.fail(
                .badAttribute, "equation '\(text)' names \(terms.count) operands, the node has \(ranks.count)")
        }
        func letters(_ term: String) throws -> (before: [Int], after: [Int], ellipsis: Bool) {
            let parts = term.components(separatedBy: "...")
            guard parts.count <= 2 else { throw ctx.fail(.badAttribute, "term '\(term)' has more than one '...'") }
            let codes = try parts.map { part in
                try part.map { c -> Int in
                    guard c.isLetter, let v = c.asciiValue else {
                        throw ctx.fail(.badAttribute, "equation '\(text)': '\(c)' is not a letter")
                    }
                    return Int(v)
                }
            }
            return (codes[0], parts.count == 2 ? codes[1] : [], parts.count == 2)
        }
        var parsed = [(before: [Int], after: [Int], ellipsis: Bool)]()
        var ellipsisRank = 0
        for (term, rank) in zip(terms, ranks) {
            let p = try letters(term)
            let named = p.before.count + p.after.count
            guard p.ellipsis ? named <= rank : named == rank else {
                throw ctx.fail(.shapeMismatch, "term '\(term)' does not fit an operand of rank \(rank)")
            }
            if p.ellipsis { ellipsisRank = max(ellipsisRank, rank - named) }
            parsed.append(p)
        }
        let operands = zip(parsed, ranks).map { p, rank -> [Int] in
            let e = p.ellipsis ? rank - p.before.count - p.after.count : 0
            return p.before + (0..<e).map { Equation.ellipsisBase + ellipsisRank - e + $0 } + p.after
        }
        let broadcast = (0..<ellipsisRank).map { Equation.ellipsisBase + $0 }
        var output: [Int]
        if sides.count == 2 {
            let p = try letters(sides[1])
            output = p.before + (p.ellipsis ? broadcast : []) + p.after
            guard Set(output).count == output.count else {
                throw ctx.fail(.badAttribute, "equation '\(text)': the output repeats a letter")
            }
            let known = Set(operands.joined())
            for label in output where label < Equation.ellipsisBase && !known.contains(label) {
                throw ctx.fail(
                    .badAttribute, "equation '\(text)': output letter \(UnicodeScalar(UInt8(label))) is in no operand")
            }
        } else {
            var counts = [Int: Int]()
            for label in operands.joined() where label < Equation.ellipsisBase { counts[label, default: 0] += 1 }
            output = broadcast + counts.keys.filter { counts[$0] == 1 }.sorted()
        }
        return Equation(operands: operands, output: output)
    }

    static func run(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let operands = try inputs.indices.map { try ctx.input(inputs, $0) }
        guard !operands.isEmpty else { throw ctx.fail(.malformedModel, "Einsum needs at least one input") }
        let equation = try parse(ctx, try ctx.string("equation", ""), ranks: operands.map(\.rank))
        // Each label's size (broadcast axes may be 1 in some operands).
        var sizes = [Int: Int]()
        for (labels, x) in zip(equation.operands, operands) {
            for (label, n) in zip(labels, x.shape) {
                if let seen = sizes[label], seen != n {
                    guard label >= Equation.ellipsisBase, seen == 1 || n == 1 else {
                        throw ctx.fail(.shapeMismatch, "axis sizes \(seen) and \(n) of one label disagree")
                    }
                    sizes[label] = max(seen, n)
                } else {
                    sizes[label] = n
                }
            }
        }
        let summed = Array(Set(equation.operands.joined()).subtracting(equation.output)).sorted()
        let all = equation.output + summed
        let extents = all.map { sizes[$0] ?? 1 }
        let outShape = equation.output.map { sizes[$0] ?? 1 }
        let outCount = try ctx.checkedCount(outShape), inner = try ctx.checkedCount(summed.map { sizes[$0] ?? 1 })
        _ = try ctx.checkedCount([outCount, inner])
        // For each operand, the stride each label position advances it by (0 where it broadcasts).
        let operandStrides: [[Int]] = zip(equation.operands, operands).map { labels, x in
            let s = strides(x.shape)
            return all.map { label in
                labels.indices.filter { labels[$0] == label && x.shape[$0] != 1 }.reduce(0) { $0 + s[$1] }
            }
        }
        let isFloat = operands.contains { $0.type.isFloat }
        let floatData = isFloat ? operands.map(\.floats) : [], intData = isFloat ? [] : operands.map(\.ints)
        var floatOut = [Float](repeating: 0, count: isFloat ? outCount : 0)
        var intOut = [Int64](repeating: 0, count: isFloat ? 0 : outCount)
        var index = [Int](repeating: 0, count: all.count)
        for o in 0..<outCount {
            var rest = o
            for d in stride(from: equation.output.count - 1, through: 0, by: -1) {
                index[d] = rest % extents[d]
                rest /= extents[d]
            }
            var floatSum: Float = 0, intSum: Int64 = 0
            for k in 0..<inner {
                var rest = k
                for d in stride(from: all.count - 1, through: equation.output.count, by: -1) {
                    index[d] = rest % extents[d]
                    rest /= extents[d]
                }
                if isFloat {
                    var product: Float = 1
                    for (j, s) in operandStrides.enumerated() {
                        product *= floatData[j][zip(index, s).reduce(0) { $0 + $1.0 * $1.1 }]
                    }
                    floatSum += product
                } else {
                    var product: Int64 = 1
                    for (j, s) in operandStrides.enumerated() {
                        product &*= intData[j][zip(index, s).reduce(0) { $0 + $1.0 * $1.1 }]
                    }
                    intSum &+= product
                }
            }
            if isFloat { floatOut[o] = floatSum } else { intOut[o] = intSum }
        }
        let type = operands[0].type
        return [
            isFloat
                ? Value(type: type, shape: outShape, storage: .float(floatOut))
                : Value(type: type, shape: outShape, ints: intOut)
        ]
    }
}
