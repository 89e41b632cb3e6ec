import CKernels
import Foundation

/// Unary and binary elementwise operators, Clip, Where and Cast.
enum ElementwiseOps {
    static func register(_ r: inout [String: OperatorDef]) {
        func unary(_ name: String, _ f: @escaping (OpContext) throws -> (Float) -> Float) {
            r[name] = unaryOperator(f)
        }
        // The vectorized functions (qb_vecmath.c: the same bits on every CPU path and platform).
        func vectorUnary(_ name: String, _ op: VectorMath.Unary) {
            r[name] = OperatorDef(
                run: { ctx, inputs in
                    let x = try ctx.floatInput(inputs, 0)
                    return [
                        Value(
                            type: x.type, shape: x.shape,
                            storage: .float(VectorMath.map(op, x.floats, threads: ctx.threads)))
                    ]
                }, infer: sameAsInput)
        }
        vectorUnary("Relu", .relu)
        unary("Sqrt") { _ in { $0.squareRoot() } }
        vectorUnary("Exp", .exp)
        unary("Log") { _ in { qb_logf($0) } }
        vectorUnary("Erf", .erf)
        vectorUnary("Tanh", .tanh)
        unary("Reciprocal") { _ in { 1 / $0 } }
        vectorUnary("Sigmoid", .sigmoid)
        unary("Floor") { _ in { $0.rounded(.down) } }
        unary("Ceil") { _ in { $0.rounded(.up) } }
        unary("Softplus") { _ in { qb_logf(1 + qb_expf($0)) } }
        unary("HardSigmoid") { ctx in
            let alpha = try ctx.float("alpha", 0.2), beta = try ctx.float("beta", 0.5)
            return { min(max(alpha * $0 + beta, 0), 1) }
        }
        vectorUnary("HardSwish", .hardSwish)
        unary("LeakyRelu") { ctx in
            let alpha = try ctx.float("alpha", 0.01)
            return { $0 >= 0 ? $0 : alpha * $0 }
        }
        unary("Elu") { ctx in
            let alpha = try ctx.float("alpha", 1)
            return { $0 >= 0 ? $0 : alpha * (qb_expf($0) - 1) }
        }
        unary("Selu") { ctx in
            let alpha = try ctx.float("alpha", 1.67326319217681884765625),
                gamma = try ctx.float("gamma", 1.05070102214813232421875)
            return { $0 > 0 ? gamma * $0 : gamma * (alpha * qb_expf($0) - alpha) }
        }
        r["Gelu"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.floatInput(inputs, 0)
                let out: [Float]
                switch try ctx.string("approximate", "none") {
                case "none":
                    // qb_divisor: the constant of a fused torch export (GeluFusion.swift); else sqrt(2).
                    let divisor = try ctx.float("qb_divisor", Float(2).squareRoot())
                    out = VectorMath.map(.geluErf, x.floats, param: divisor, threads: ctx.threads)
                case "tanh": out = VectorMath.map(.geluTanh, x.floats, threads: ctx.threads)
                case let other: throw ctx.fail(.badAttribute, "approximate must be none or tanh, not \(other)")
                }
                return [Value(type: x.type, shape: x.shape, storage: .float(out))]
            }, infer: sameAsInput)
        // Abs and Neg keep integer types.
        for (name, ff, fi) in [
            ("Abs", { (x: Float) in abs(x) }, { (x: Int64) in x == .min ? x : abs(x) }),
            ("Neg", { (x: Float) in -x }, { (x: Int64) in 0 &- x }),
        ] {
            r[name] = OperatorDef(
                run: { ctx, inputs in
                    let x = try ctx.input(inputs, 0)
                    switch x.storage {
                    case .float(let f): return [Value(type: x.type, shape: x.shape, storage: .float(f.map(ff)))]
                    case .int(let i):
                        return [Value(type: x.type, shape: x.shape, storage: .int(i.map { x.type.wrap(fi($0)) }))]
                    }
                }, infer: sameAsInput)
        }
        r["Not"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                return [Value(type: .bool, shape: x.shape, ints: x.ints.map { $0 == 0 ? 1 : 0 })]
            }, infer: sameAsInput)

        // Arithmetic keeps the input type; comparisons give bool.
        func arithmetic(
            _ name: String, _ ff: @escaping (Float, Float) -> Float, _ fi: @escaping (Int64, Int64) -> Int64,
            fast: FloatArithmetic.Op? = nil
        ) {
            r[name] = OperatorDef(
                run: { ctx, inputs in
                    let a = try ctx.input(inputs, 0), b = try ctx.input(inputs, 1)
                    let shape = try broadcast(ctx, a.shape, b.shape)
                    if a.type.isFloat || b.type.isFloat {
                        guard a.type.isFloat && b.type.isFloat || name == "Pow" else {
                            throw ctx.fail(
                                .typeMismatch, "operands \(a.signature) and \(b.signature) must have the same type")
                        }
                        let out =
                            fast != nil && a.type.isFloat && b.type.isFloat
                            ? FloatArithmetic.apply(
                                fast!, a.floats, a.shape, b.floats, b.shape, shape, threads: ctx.threads)
                            : Broadcast.map(a.floats, a.shape, b.floats, b.shape, shape, ff)
                        return [Value(type: a.type.isFloat ? a.type : .float, shape: shape, storage: .float(out))]
                    }
                    return [
                        Value(
                            type: a.type, shape: shape,
                            storage: .int(
                                Broadcast.map(a.ints, a.shape, b.ints, b.shape, shape) { a.type.wrap(fi($0, $1)) }))
                    ]
                }, infer: broadcastInfer(nil))
        }
        arithmetic("Add", +, { $0 &+ $1 }, fast: .add)
        arithmetic("Sub", -, { $0 &- $1 }, fast: .sub)
        arithmetic("Mul", *, { $0 &* $1 }, fast: .mul)
        arithmetic("Div", /, { $1 == 0 ? 0 : ($0 == .min && $1 == -1 ? .min : $0 / $1) }, fast: .div)
        arithmetic(
            "Pow", { Foundation.pow($0, $1) },
            { base, e in
                if e < 0 { return base == 1 ? 1 : 0 }
                var result: Int64 = 1, b = base, k = e
                while k > 0 {
                    if k & 1 == 1 { result = result &* b }
                    b = b &* b
                    k >>= 1
                }
                return result
            })
        r["Mod"] = OperatorDef(
            run: { ctx, inputs in
                let a = try ctx.input(inputs, 0), b = try ctx.input(inputs, 1)
                let shape = try broadcast(ctx, a.shape, b.shape)
                let cStyle = try ctx.int("fmod", 0) != 0
                if a.type.isFloat {
                    guard cStyle else { throw ctx.fail(.badAttribute, "floating-point Mod needs fmod=1") }
                    return [
                        Value(
                            type: a.type, shape: shape,
                            storage: .float(
                                Broadcast.map(a.floats, a.shape, b.floats, b.shape, shape) { Foundation.fmod($0, $1) }))
                    ]
                }
                // fmod=1: the sign of the dividend (C); fmod=0: the sign of the divisor (Python).
                return [
                    Value(
                        type: a.type, shape: shape,
                        storage: .int(
                            Broadcast.map(a.ints, a.shape, b.ints, b.shape, shape) { x, y in
                                guard y != 0 else { return 0 }
                                let r = x % y
                                return cStyle || r == 0 || (r < 0) == (y < 0) ? r : r + y
                            }))
                ]
            }, infer: broadcastInfer(nil))

        func comparison(_ name: String, _ ff: @escaping (Float, Float) -> Bool, _ fi: @escaping (Int64, Int64) -> Bool)
        {
            r[name] = OperatorDef(
                run: { ctx, inputs in
                    let a = try ctx.input(inputs, 0), b = try ctx.input(inputs, 1)
                    let shape = try broadcast(ctx, a.shape, b.shape)
                    let out: [Int64]
                    if a.type.isFloat || b.type.isFloat {
                        out = Broadcast.map(a.floats, a.shape, b.floats, b.shape, shape) { ff($0, $1) ? 1 : 0 }
                    } else {
                        out = Broadcast.map(a.ints, a.shape, b.ints, b.shape, shape) { fi($0, $1) ? 1 : 0 }
                    }
                    return [Value(type: .bool, shape: shape, ints: out)]
                }, infer: broadcastInfer(.bool))
        }
        comparison("Equal", ==, ==)
        comparison("Less", <, <)
        comparison("Greater", >, >)
        comparison("LessOrEqual", <=, <=)
        comparison("GreaterOrEqual", >=, >=)
        comparison("And", { $0 != 0 && $1 != 0 }, { $0 != 0 && $1 != 0 })
        comparison("Or", { $0 != 0 || $1 != 0 }, { $0 != 0 || $1 != 0 })
        comparison("Xor", { ($0 != 0) != ($1 != 0) }, { ($0 != 0) != ($1 != 0) })

        // Variadic Sum/Mean/Max/Min over broadcast inputs.
        let variadic: [(String, (Float, Float) -> Float, (Int64, Int64) -> Int64)] = [
            ("Sum", +, { $0 &+ $1 }), ("Mean", +, { $0 &+ $1 }),
            ("Max", { $0.isNaN || $1.isNaN ? .nan : max($0, $1) }, { max($0, $1) }),
            ("Min", { $0.isNaN || $1.isNaN ? .nan : min($0, $1) }, { min($0, $1) }),
        ]
        for (name, ff, fi) in variadic {
            r[name] = OperatorDef(
                run: { ctx, inputs in
                    let values = try inputs.indices.map { try ctx.input(inputs, $0) }
                    guard var acc = values.first else { throw ctx.fail(.malformedModel, "needs at least one input") }
                    for v in values.dropFirst() {
                        let shape = try broadcast(ctx, acc.shape, v.shape)
                        if acc.type.isFloat {
                            acc = Value(
                                type: acc.type, shape: shape,
                                storage: .float(Broadcast.map(acc.floats, acc.shape, v.floats, v.shape, shape, ff)))
                        } else {
                            acc = Value(
                                type: acc.type, shape: shape,
                                storage: .int(Broadcast.map(acc.ints, acc.shape, v.ints, v.shape, shape, fi)))
                        }
                    }
                    if name == "Mean" {
                        acc = Value(
                            type: acc.type, shape: acc.shape,
                            storage: .float(acc.floats.map { $0 / Float(values.count) }))
                    }
                    return [acc]
                }, infer: broadcastInfer(nil))
        }

        r["Clip"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                var lo = -Float.infinity, hi = Float.infinity
                if ctx.opset < 11 {
                    lo = try ctx.float("min", lo)
                    hi = try ctx.float("max", hi)
                } else {
                    if let m = ctx.optional(inputs, 1) { lo = m.floats.first ?? lo }
                    if let m = ctx.optional(inputs, 2) { hi = m.floats.first ?? hi }
                }
                switch x.storage {
                case .float(let f):
                    return [Value(type: x.type, shape: x.shape, storage: .float(f.map { min(max($0, lo), hi) }))]
                case .int(let i):
                    let l = lo.isFinite ? Int64(lo) : Int64.min, h = hi.isFinite ? Int64(hi) : Int64.max
                    return [Value(type: x.type, shape: x.shape, storage: .int(i.map { min(max($0, l), h) }))]
                }
            }, infer: sameAsInput)

        r["Where"] = OperatorDef(
            run: { ctx, inputs in
                let c = try ctx.input(inputs, 0), a = try ctx.input(inputs, 1), b = try ctx.input(inputs, 2)
                guard let shape = Broadcast.shape([c.shape, a.shape, b.shape]) else {
                    throw ctx.fail(.shapeMismatch, "cannot broadcast \(c.shape), \(a.shape) and \(b.shape)")
                }
                let cond = Broadcast.expand(c.ints, c.shape, to: shape)
                switch (a.storage, b.storage) {
                case (.float, _), (_, .float):
                    let x = Broadcast.expand(a.floats, a.shape, to: shape),
                        y = Broadcast.expand(b.floats, b.shape, to: shape)
                    return [
                        Value(
                            type: a.type, shape: shape,
                            storage: .float((0..<cond.count).map { cond[$0] != 0 ? x[$0] : y[$0] }))
                    ]
                default:
                    let x = Broadcast.expand(a.ints, a.shape, to: shape),
                        y = Broadcast.expand(b.ints, b.shape, to: shape)
                    return [
                        Value(
                            type: a.type, shape: shape,
                            storage: .int((0..<cond.count).map { cond[$0] != 0 ? x[$0] : y[$0] }))
                    ]
                }
            },
            infer: { ctx, t in
                guard let a = t.at(1) else { throw ctx.fail(.malformedModel, "input 1 is required") }
                let shapes = t.compactMap { $0?.shape }
                guard shapes.count == 3 else { return [TypeInfo(type: a.type, shape: nil)] }
                guard let s = Broadcast.dims(shapes) else {
                    throw ctx.fail(.shapeMismatch, "cannot broadcast \(shapes)")
                }
                return [TypeInfo(type: a.type, shape: s)]
            })

        r["Cast"] = OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.input(inputs, 0)
                let to = try target(ctx)
                return [cast(x, to: to)]
            },
            infer: { ctx, t in
                [TypeInfo(type: try target(ctx), shape: t.first??.shape)]
            })
    }

    static func target(_ ctx: OpContext) throws -> DataType {
        let code = try ctx.int("to", 1)
        // 4-bit targets are refused: their saturation rules differ between opsets and runtimes.
        guard let t = DataType(rawValue: Int32(code)), t != .int4, t != .uint4 else {
            throw ctx.fail(.unsupported, "Cast to element type \(code) is not supported")
        }
        return t
    }

    /// Converts a value's element type (float to integer truncates toward zero, as C casts do;
    /// to bool is "non-zero").
    static func cast(_ x: Value, to: DataType) -> Value {
        if to.isFloat {
            var f = x.floats
            if to == .float16 { f = f.map { Float(Float16($0)) } }
            return Value(type: to, shape: x.shape, storage: .float(f))
        }
        if to == .bool {
            let v: [Int64]
            switch x.storage {
            case .float(let f): v = f.map { $0 != 0 ? 1 : 0 }
            case .int(let i): v = i.map { $0 != 0 ? 1 : 0 }
            }
            return Value(type: .bool, shape: x.shape, ints: v)
        }
        let ints: [Int64]
        switch x.storage {
        case .int(let i): ints = i
        case .float(let f):
            ints = f.map { $0.isNaN ? 0 : Int64(exactly: $0.rounded(.towardZero)) ?? ($0 < 0 ? Int64.min : Int64.max) }
        }
        return Value(type: to, shape: x.shape, ints: ints.map(to.wrap))
    }

    static func broadcast(_ ctx: OpContext, _ a: [Int], _ b: [Int]) throws -> [Int] {
        guard let s = Broadcast.shape([a, b]) else {
            throw ctx.fail(.shapeMismatch, "cannot broadcast shapes \(a) and \(b)")
        }
        return s
    }

    /// An element-wise float operator: `function(ctx)` (the node's attributes read once per run) on every element.
    static func unaryOperator(_ function: @escaping (OpContext) throws -> (Float) -> Float) -> OperatorDef {
        OperatorDef(
            run: { ctx, inputs in
                let x = try ctx.floatInput(inputs, 0)
                let elementFunction = try function(ctx)
                return [Value(type: x.type, shape: x.shape, storage: .float(x.floats.map(elementFunction)))]
            }, infer: sameAsInput)
    }

    static func sameAsInput(_ ctx: OpContext, _ t: [TypeInfo?]) throws -> [TypeInfo] {
        guard let x = t.first ?? nil else { throw ctx.fail(.malformedModel, "input 0 is required") }
        return [TypeInfo(type: x.type, shape: x.shape)]
    }

    static func broadcastInfer(_ type: DataType?) -> (OpContext, [TypeInfo?]) throws -> [TypeInfo] {
        { ctx, t in
            guard let a = t.first ?? nil else { throw ctx.fail(.malformedModel, "input 0 is required") }
            let present = t.compactMap { $0 }
            if present.count >= 2, a.type.isFloat != present[1].type.isFloat, ctx.node.opType != "Pow", type == nil {
                throw ctx.fail(.typeMismatch, "operands of types \(a.type) and \(present[1].type) must match")
            }
            let shapes = present.compactMap(\.shape)
            guard shapes.count == present.count else { return [TypeInfo(type: type ?? a.type, shape: nil)] }
            guard let s = Broadcast.dims(shapes) else {
                let listed = shapes.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" }
                throw ctx.fail(.shapeMismatch, "cannot broadcast shapes \(listed.joined(separator: " and "))")
            }
            return [TypeInfo(type: type ?? a.type, shape: s)]
        }
    }
}
