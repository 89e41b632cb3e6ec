/// Element-indexed selection and placement, per the ONNX operator specs: GatherElements, ScatterElements, GatherND,
/// ScatterND (reductions none, add, mul, max, min), Scatter, NonZero, OneHot, TopK, Compress, EyeLike, CastLike,
/// DepthToSpace (DCR and CRD) and SpaceToDepth. Indices may be negative (counted from the end); one out of range is
/// an error naming the node.
enum IndexingOps {
    static func register(_ r: inout [String: OperatorDef]) {
        r["GatherElements"] = OperatorDef(
            run: gatherElements,
            infer: { ctx, t in
                guard let data = t.at(0), t.count > 1, let indices = t.at(1) else {
                    throw ctx.fail(.malformedModel, "inputs data and indices are required")
                }
                return [TypeInfo(type: data.type, shape: indices.shape)]
            })
        r["ScatterElements"] = OperatorDef(run: scatterElements, infer: ElementwiseOps.sameAsInput)
        // Scatter (opsets 9-10) is ScatterElements under its old name.
        r["Scatter"] = r["ScatterElements"]
        r["NonZero"] = OperatorDef(
            run: nonZero,
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                return [TypeInfo(type: .int64, shape: x.rank.map { [.fixed($0), .unknown] })]
            })
        r["GatherND"] = OperatorDef(run: gatherND, infer: unknownShape)
        r["ScatterND"] = OperatorDef(run: scatterND, infer: ElementwiseOps.sameAsInput)
        r["OneHot"] = OperatorDef(run: oneHot, infer: unknownShape(ofInput: 2))
        r["TopK"] = OperatorDef(
            run: topK,
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                return [TypeInfo(type: x.type, shape: nil), TypeInfo(type: .int64, shape: nil)]
            })
        r["Compress"] = OperatorDef(run: compress, infer: unknownShape)
        r["EyeLike"] = OperatorDef(
            run: eyeLike,
            infer: { ctx, t in
                guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                let code = try ctx.int("dtype", Int(x.type.rawValue))
                guard let type = DataType(rawValue: Int32(code)) else {
                    throw ctx.fail(.unsupported, "EyeLike to element type \(code) is not supported")
                }
                return [TypeInfo(type: type, shape: x.shape)]
            })
        r["DepthToSpace"] = OperatorDef(
            run: { ctx, inputs in [try blockRearranged(ctx, inputs, toSpace: true)] },
            infer: unknownShape)
        r["SpaceToDepth"] = OperatorDef(
            run: { ctx, inputs in [try blockRearranged(ctx, inputs, toSpace: false)] },
            infer: unknownShape)
        r["CastLike"] = OperatorDef(
            run: { ctx, inputs in
                [ElementwiseOps.cast(try ctx.input(inputs, 0), to: try ctx.input(inputs, 1).type)]
            },
            infer: { ctx, t in
                guard let x = t.at(0), t.count > 1, let target = t.at(1) else {
                    throw ctx.fail(.malformedModel, "inputs input and target_type are required")
                }
                return [TypeInfo(type: target.type, shape: x.shape)]
            })
    }

    /// The indices of the non-zero elements, row-major: an int64 [rank, count] tensor (column j is the j-th
    /// non-zero element's index). A scalar gives [0, count].
    static func nonZero(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.input(inputs, 0)
        let positions: [Int]
        switch x.storage {
        case .float(let f): positions = f.indices.filter { f[$0] != 0 }
        case .int(let i): positions = i.indices.filter { i[$0] != 0 }
        }
        let xStrides = strides(x.shape)
        var out = [Int64](repeating: 0, count: x.rank * positions.count)
        for (j, p) in positions.enumerated() {
            for d in 0..<x.rank { out[d * positions.count + j] = Int64(p / xStrides[d] % x.shape[d]) }
        }
        return [Value(type: .int64, shape: [x.rank, positions.count], ints: out)]
    }

    /// The type of input 0 (or `ofInput`) with an unknown shape: for outputs whose shape depends on values.
    static func unknownShape(_ ctx: OpContext, _ t: [TypeInfo?]) throws -> [TypeInfo] {
        try unknownShape(ofInput: 0)(ctx, t)
    }

    static func unknownShape(ofInput index: Int) -> (OpContext, [TypeInfo?]) throws -> [TypeInfo] {
        { ctx, t in
            guard index < t.count, let x = t[index] else {
                throw ctx.fail(.malformedModel, "input \(index) is required")
            }
            return [TypeInfo(type: x.type, shape: nil)]
        }
    }

    /// `index` in [-size, size) as a position in [0, size).
    static func position(_ ctx: OpContext, _ index: Int64, size: Int) throws -> Int {
        let i = Int(clamping: index)
        guard i >= -size && i < size else { throw ctx.fail(.badInput, "index \(index) is out of range for \(size)") }
        return i < 0 ? i + size : i
    }

    /// For each element of `indices` (shape `shape`), the flat position in `data` with the coordinate on `axis`
    /// replaced by the index.
    static func elementTargets(_ ctx: OpContext, data: Value, indices: Value, axis: Int) throws -> [Int] {
        guard indices.rank == data.rank else {
            throw ctx.fail(.shapeMismatch, "indices \(indices.shape) and data \(data.shape) differ in rank")
        }
        let dataStrides = strides(data.shape), indexStrides = strides(indices.shape)
        let values = indices.ints
        var targets = [Int](repeating: 0, count: values.count)
        for i in 0..<values.count {
            var rest = i, target = 0
            for d in 0..<indices.rank {
                let coordinate = rest / indexStrides[d]
                rest %= indexStrides[d]
                let at = d == axis ? try position(ctx, values[i], size: data.shape[d]) : coordinate
                guard at < data.shape[d] else {
                    throw ctx.fail(.shapeMismatch, "indices \(indices.shape) exceed data \(data.shape) on axis \(d)")
                }
                target += at * dataStrides[d]
            }
            targets[i] = target
        }
        return targets
    }

    static func gatherElements(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let data = try ctx.input(inputs, 0), indices = try ctx.input(inputs, 1)
        let axis = try ctx.axis(try ctx.int("axis", 0), rank: data.rank)
        let targets = try elementTargets(ctx, data: data, indices: indices, axis: axis)
        return [data.gathering(targets, shape: indices.shape)]
    }

    /// `combine(old, update)` for the `reduction` attribute of ScatterElements and ScatterND.
    static func reduction<T: Numeric & Comparable>(_ ctx: OpContext, _ type: T.Type) throws -> (T, T) -> T {
        switch try ctx.string("reduction", "none") {
        case "none": return { $1 }
        case "add": return { $0 + $1 }
        case "mul": return { $0 * $1 }
        case "max": return { max($0, $1) }
        case "min": return { min($0, $1) }
        case let other: throw ctx.fail(.badAttribute, "unknown reduction '\(other)'")
        }
    }

    /// `data` with `updates[i]` combined into position `targets[i]`, in order.
    static func scattered(_ ctx: OpContext, data: Value, updates: Value, targets: [Int]) throws -> Value {
        guard updates.count == targets.count, updates.type.isFloat == data.type.isFloat else {
            throw ctx.fail(.shapeMismatch, "updates \(updates.signature) do not fit the indices")
        }
        func apply<T: Numeric & Comparable>(_ base: [T], _ values: [T]) throws -> [T] {
            let combine = try reduction(ctx, T.self)
            var out = base
            for (i, target) in targets.enumerated() { out[target] = combine(out[target], values[i]) }
            return out
        }
        if data.type.isFloat {
            return Value(type: data.type, shape: data.shape, storage: .float(try apply(data.floats, updates.floats)))
        }
        return Value(type: data.type, shape: data.shape, storage: .int(try apply(data.ints, updates.ints)))
    }

    static func scatterElements(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let data = try ctx.input(inputs, 0), indices = try ctx.input(inputs, 1), updates = try ctx.input(inputs, 2)
        let axis = try ctx.axis(try ctx.int("axis", 0), rank: data.rank)
        guard updates.shape == indices.shape else {
            throw ctx.fail(.shapeMismatch, "updates \(updates.shape) and indices \(indices.shape) differ")
        }
        let targets = try elementTargets(ctx, data: data, indices: indices, axis: axis)
        return [try scattered(ctx, data: data, updates: updates, targets: targets)]
    }

    /// The slices GatherND and ScatterND address: for each index tuple (the last axis of `indices`, after
    /// `batchDims` shared leading axes), the flat start of its slice in `data`, and the slice's length.
    static func ndSlices(_ ctx: OpContext, data: Value, indices: Value, batchDims: Int) throws
        -> (starts: [Int], sliceLength: Int, tupleShape: [Int])
    {
        guard indices.rank >= 1, let depth = indices.shape.last, batchDims >= 0, batchDims < indices.rank,
            batchDims + depth <= data.rank, data.shape[..<batchDims] == indices.shape[..<batchDims]
        else {
            throw ctx.fail(.shapeMismatch, "indices \(indices.shape) do not address data \(data.shape)")
        }
        let batch = data.shape[..<batchDims].reduce(1, *)
        let tuplesPerBatch = indices.shape[batchDims..<(indices.rank - 1)].reduce(1, *)
        let sliceLength = data.shape[(batchDims + depth)...].reduce(1, *)
        let batchLength = data.shape[batchDims...].reduce(1, *)
        let dataStrides = strides(Array(data.shape[batchDims...]))
        let values = indices.ints
        var starts = [Int]()
        starts.reserveCapacity(batch * tuplesPerBatch)
        for b in 0..<batch {
            for tuple in 0..<tuplesPerBatch {
                var start = b * batchLength
                for d in 0..<depth {
                    let index = values[(b * tuplesPerBatch + tuple) * depth + d]
                    start += try position(ctx, index, size: data.shape[batchDims + d]) * dataStrides[d]
                }
                starts.append(start)
            }
        }
        return (starts, sliceLength, Array(indices.shape.dropLast()))
    }

    static func gatherND(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let data = try ctx.input(inputs, 0), indices = try ctx.input(inputs, 1)
        let batchDims = try ctx.int("batch_dims", 0)
        let (starts, length, tupleShape) = try ndSlices(ctx, data: data, indices: indices, batchDims: batchDims)
        let depth = indices.shape.last ?? 0
        let positions = starts.flatMap { $0..<($0 + length) }
        return [data.gathering(positions, shape: tupleShape + Array(data.shape[(batchDims + depth)...]))]
    }

    static func scatterND(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let data = try ctx.input(inputs, 0), indices = try ctx.input(inputs, 1), updates = try ctx.input(inputs, 2)
        let (starts, length, _) = try ndSlices(ctx, data: data, indices: indices, batchDims: 0)
        let targets = starts.flatMap { $0..<($0 + length) }
        return [try scattered(ctx, data: data, updates: updates, targets: targets)]
    }

    /// `values[1]` where the index (negative: counted from `depth`) equals the position on the new axis, else
    /// `values[0]`; indices outside [-depth, depth) give all `values[0]`.
    static func oneHot(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let indices = try ctx.input(inputs, 0), depthValue = try ctx.input(inputs, 1), values = try ctx.input(inputs, 2)
        guard depthValue.count == 1, values.count == 2 else {
            throw ctx.fail(.badInput, "depth must be one number and values two")
        }
        let depth = Int(depthValue.type.isFloat ? Double(depthValue.floats[0]) : Double(depthValue.ints[0]))
        guard depth > 0 else { throw ctx.fail(.badInput, "depth must be positive, got \(depth)") }
        let axis = try ctx.axis(try ctx.int("axis", -1), rank: indices.rank + 1)
        let outer = indices.shape[..<axis].reduce(1, *), inner = indices.shape[axis...].reduce(1, *)
        let classes: [Int] = (indices.type.isFloat ? indices.floats.map { Int64($0) } : indices.ints).map {
            let i = Int(clamping: $0)
            return i < 0 ? i + depth : i
        }
        var positions = [Int](repeating: 0, count: outer * depth * inner)
        for o in 0..<outer {
            for c in 0..<depth {
                for j in 0..<inner where classes[o * inner + j] == c { positions[(o * depth + c) * inner + j] = 1 }
            }
        }
        var shape = indices.shape
        shape.insert(depth, at: axis)
        return [values.gathering(positions, shape: shape)]
    }

    /// The k largest (or smallest) elements along `axis`, sorted, with their indices; ties keep the lower index.
    static func topK(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.input(inputs, 0)
        guard let kList = try ctx.intList(inputs, 1), kList.count == 1 else {
            throw ctx.fail(.badInput, "K must be one integer")
        }
        let axis = try ctx.axis(try ctx.int("axis", -1), rank: x.rank)
        let largest = try ctx.int("largest", 1) != 0, k = kList[0], length = x.shape[axis]
        guard k >= 0 && k <= length else { throw ctx.fail(.badInput, "K = \(k) for an axis of \(length)") }
        let outer = x.shape[..<axis].reduce(1, *), inner = x.shape[(axis + 1)...].reduce(1, *)
        let keys = x.type.isFloat ? x.floats.map(Double.init) : x.ints.map(Double.init)
        var positions = [Int](), chosen = [Int64]()
        for o in 0..<outer {
            for j in 0..<inner {
                let at = { (i: Int) in (o * length + i) * inner + j }
                let order = (0..<length).sorted { a, b in
                    let (u, v) = (keys[at(a)], keys[at(b)])
                    return u != v ? (largest ? u > v : u < v) : a < b
                }
                for i in order.prefix(k) {
                    positions.append(at(i))
                    chosen.append(Int64(i))
                }
            }
        }
        // The selections were made per (outer, inner); lay them out as [outer][k][inner].
        var layout = [Int](repeating: 0, count: positions.count)
        for o in 0..<outer {
            for j in 0..<inner { for t in 0..<k { layout[(o * k + t) * inner + j] = (o * inner + j) * k + t } }
        }
        var shape = x.shape
        shape[axis] = k
        let values = x.gathering(layout.map { positions[$0] }, shape: shape)
        return [values, Value(shape: shape, ints: layout.map { chosen[$0] })]
    }

    /// The slices along `axis` (or the elements of the flattened input) where `condition` is true.
    static func compress(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.input(inputs, 0), condition = try ctx.input(inputs, 1)
        let keep = (condition.type.isFloat ? condition.floats.map { $0 != 0 } : condition.ints.map { $0 != 0 })
        let axisAttribute = try ctx.ints("axis")
        let data = axisAttribute == nil ? x.reshaped([x.count]) : x
        let axis = try ctx.axis(axisAttribute?.first ?? 0, rank: data.rank)
        let length = data.shape[axis]
        guard keep.count <= length else {
            throw ctx.fail(.shapeMismatch, "condition has \(keep.count) entries for an axis of \(length)")
        }
        let kept = (0..<keep.count).filter { keep[$0] }
        let outer = data.shape[..<axis].reduce(1, *), inner = data.shape[(axis + 1)...].reduce(1, *)
        var positions = [Int]()
        for o in 0..<outer { for i in kept { for j in 0..<inner { positions.append((o * length + i) * inner + j) } } }
        var shape = data.shape
        shape[axis] = kept.count
        return [data.gathering(positions, shape: shape)]
    }

    /// A 2-D tensor shaped like the input with ones on diagonal `k` (above the main one for k > 0).
    static func eyeLike(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.input(inputs, 0)
        guard x.rank == 2 else { throw ctx.fail(.shapeMismatch, "EyeLike needs a 2-D input, got \(x.shape)") }
        let code = try ctx.int("dtype", Int(x.type.rawValue)), k = try ctx.int("k", 0)
        guard let type = DataType(rawValue: Int32(code)) else {
            throw ctx.fail(.unsupported, "EyeLike to element type \(code) is not supported")
        }
        let (rows, cols) = (x.shape[0], x.shape[1])
        var ones = [Int64](repeating: 0, count: rows * cols)
        for i in 0..<rows where i + k >= 0 && i + k < cols { ones[i * cols + i + k] = 1 }
        let value = Value(type: .int64, shape: x.shape, ints: ones)
        return [ElementwiseOps.cast(value, to: type)]
    }

    /// DepthToSpace (`toSpace`; mode DCR or CRD) or SpaceToDepth on [N, C, H, W] with `blocksize` b, as the spec's
    /// reshape, transpose, reshape.
    static func blockRearranged(_ ctx: OpContext, _ inputs: [Value?], toSpace: Bool) throws -> Value {
        let x = try ctx.input(inputs, 0), b = try ctx.int("blocksize", 0)
        guard x.rank == 4, b >= 1 else { throw ctx.fail(.badInput, "needs a 4-D input and a positive blocksize") }
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let mode = try ctx.string("mode", "DCR")
        let (shape, permutation, outShape): ([Int], [Int], [Int])
        if toSpace {
            guard c % (b * b) == 0 else {
                throw ctx.fail(.shapeMismatch, "\(c) channels are not a multiple of \(b * b)")
            }
            switch mode {
            case "DCR": (shape, permutation) = ([n, b, b, c / (b * b), h, w], [0, 3, 4, 1, 5, 2])
            case "CRD": (shape, permutation) = ([n, c / (b * b), b, b, h, w], [0, 1, 4, 2, 5, 3])
            default: throw ctx.fail(.badAttribute, "unknown mode '\(mode)'")
            }
            outShape = [n, c / (b * b), h * b, w * b]
        } else {
            guard h % b == 0, w % b == 0 else { throw ctx.fail(.shapeMismatch, "\(h)x\(w) is not a multiple of \(b)") }
            (shape, permutation) = ([n, c, h / b, b, w / b, b], [0, 3, 5, 1, 2, 4])
            outShape = [n, c * b * b, h / b, w / b]
        }
        return x.reshaped(shape).transposed(permutation).reshaped(outShape)
    }
}
