extension Value {
    /// A new value whose element i is this value's element `indices[i]`, with `shape`.
    func gathering(_ indices: [Int], shape: [Int]) -> Value {
        switch storage {
        case .float(let f): return Value(type: type, shape: shape, storage: .float(indices.map { f[$0] }))
        case .int(let v): return Value(type: type, shape: shape, storage: .int(indices.map { v[$0] }))
        }
    }

    /// The same elements with another shape.
    func reshaped(_ shape: [Int]) -> Value {
        Value(type: type, shape: shape, storage: storage)
    }

    /// Values concatenated along `axis` (all of this value's type).
    static func concatenate(_ values: [Value], axis: Int) -> Value {
        let first = values[0]
        var shape = first.shape
        shape[axis] = values.map { $0.shape[axis] }.reduce(0, +)
        let outer = shape[..<axis].reduce(1, *)
        switch first.storage {
        case .float:
            var out = [Float]()
            out.reserveCapacity(shape.reduce(1, *))
            let parts = values.map { ($0.floats, $0.shape[axis...].reduce(1, *)) }
            for o in 0..<outer { for (f, n) in parts { out.append(contentsOf: f[(o * n)..<((o + 1) * n)]) } }
            return Value(type: first.type, shape: shape, storage: .float(out))
        case .int:
            var out = [Int64]()
            out.reserveCapacity(shape.reduce(1, *))
            let parts = values.map { ($0.ints, $0.shape[axis...].reduce(1, *)) }
            for o in 0..<outer { for (v, n) in parts { out.append(contentsOf: v[(o * n)..<((o + 1) * n)]) } }
            return Value(type: first.type, shape: shape, storage: .int(out))
        }
    }
}
