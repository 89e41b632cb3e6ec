/// Unique (opset 11), per the ONNX spec: the distinct elements of X (flattened), or with `axis` its distinct slices
/// along that axis, in ascending order (`sorted` 1, the default; slices compared element by element) or in order of
/// first occurrence. Outputs: Y, the index of each one's first occurrence, the inverse indices (for each element or
/// slice of X, its position in Y) and the counts; the last three int64.
enum UniqueOp {
    static func register(_ r: inout [String: OperatorDef]) {
        r["Unique"] = OperatorDef(
            run: run,
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                let index = TypeInfo(type: .int64, shape: [.unknown])
                return [TypeInfo(type: x.type, shape: nil), index, index, index]
            })
    }

    static func run(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.input(inputs, 0)
        let sorted = try ctx.int("sorted", 1) != 0
        let axis: Int? = try ctx.node.attributes["axis"] == nil ? nil : ctx.axis(try ctx.int("axis", 0), rank: x.rank)
        // The slices compared: single elements when flattened, else the sub-tensors along the axis (moved first).
        let leading = axis.map { a in x.transposed([a] + (0..<x.rank).filter { $0 != a }) } ?? x.reshaped([x.count])
        let length = leading.shape.first ?? 0, width = length == 0 ? 0 : leading.count / length
        let values: [Double] = leading.type.isFloat ? leading.floats.map(Double.init) : leading.ints.map(Double.init)
        func slice(_ i: Int) -> ArraySlice<Double> { values[(i * width)..<((i + 1) * width)] }
        var firstOf = [Int]()  // first occurrence of each distinct slice, in order of appearance
        var inverse = [Int](repeating: 0, count: length), counts = [Int]()
        var seen = [ArraySlice<Double>: Int]()
        for i in 0..<length {
            if let k = seen[slice(i)] {
                inverse[i] = k
                counts[k] += 1
            } else {
                seen[slice(i)] = firstOf.count
                inverse[i] = firstOf.count
                firstOf.append(i)
                counts.append(1)
            }
        }
        var order = Array(firstOf.indices)
        if sorted { order.sort { slice(firstOf[$0]).lexicographicallyPrecedes(slice(firstOf[$1])) } }
        var position = [Int](repeating: 0, count: order.count)
        for (p, k) in order.enumerated() { position[k] = p }
        var picked = leading.gathering(
            order.flatMap { k in (0..<width).map { firstOf[k] * width + $0 } },
            shape: [order.count] + Array(leading.shape.dropFirst()))
        if let axis {
            var back = Array(1..<x.rank)
            back.insert(0, at: axis)
            picked = picked.transposed(back)
        }
        return [
            picked, Value(type: .int64, shape: [order.count], ints: order.map { Int64(firstOf[$0]) }),
            Value(type: .int64, shape: [length], ints: inverse.map { Int64(position[$0]) }),
            Value(type: .int64, shape: [order.count], ints: order.map { Int64(counts[$0]) }),
        ]
    }
}
