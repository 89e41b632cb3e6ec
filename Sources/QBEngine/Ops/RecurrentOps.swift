import Foundation

/// RNN, GRU and LSTM, per the ONNX spec: forward, reverse and bidirectional; `sequence_lens` (steps past a
/// sequence's length output zeros and keep the state); initial states; biases; LSTM's peepholes; GRU's
/// `linear_before_reset`; `clip`; `layout` 0 ([seq, batch, ...]) and 1 ([batch, seq, ...]); activations Sigmoid,
/// Tanh, Relu (and HardSigmoid, LeakyRelu with their alpha and beta). Each step is computed in Float in a fixed order.
enum RecurrentOps {
    /// What distinguishes the three cells.
    enum Cell: String {
        case rnn = "RNN"
        case gru = "GRU"
        case lstm = "LSTM"

        var gates: Int { self == .rnn ? 1 : (self == .gru ? 3 : 4) }
        var defaultActivations: [String] {
            switch self {
            case .rnn: return ["Tanh"]
            case .gru: return ["Sigmoid", "Tanh"]
            case .lstm: return ["Sigmoid", "Tanh", "Tanh"]
            }
        }
    }

    static func register(_ r: inout [String: OperatorDef]) {
        for cell in [Cell.rnn, .gru, .lstm] {
            r[cell.rawValue] = OperatorDef(
                run: { ctx, inputs in try run(cell, ctx, inputs) },
                infer: { ctx, t in
                    guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
                    let count = cell == .lstm ? 3 : 2
                    return [TypeInfo](repeating: TypeInfo(type: x.type, shape: nil), count: count)
                })
        }
    }

    /// An activation function by its ONNX name, with its alpha and beta where it takes them.
    static func activation(_ ctx: OpContext, _ name: String, alpha: Float?, beta: Float?) throws -> (Float) -> Float {
        switch name {
        case "Sigmoid": return { 1 / (1 + Foundation.exp(-$0)) }
        case "Tanh": return { Foundation.tanh($0) }
        case "Relu": return { max($0, 0) }
        case "LeakyRelu":
            let a = alpha ?? 0.01
            return { $0 >= 0 ? $0 : a * $0 }
        case "HardSigmoid":
            let a = alpha ?? 0.2, b = beta ?? 0.5
            return { max(0, min(1, a * $0 + b)) }
        default: throw ctx.fail(.unsupported, "activation \(name) is not supported")
        }
    }

    /// `quantizeActivations`: DynamicQuantizeLSTM's rounding of X and h to uint8 codes (`dynamicallyRounded`).
    static func run(_ cell: Cell, _ ctx: OpContext, _ inputs: [Value?], quantizeActivations: Bool = false) throws
        -> [Value]
    {
        let layout = try ctx.int("layout", 0)
        var x = try ctx.floatInput(inputs, 0)
        let w = try ctx.floatInput(inputs, 1), rec = try ctx.floatInput(inputs, 2)
        guard x.rank == 3, w.rank == 3, rec.rank == 3 else {
            throw ctx.fail(.shapeMismatch, "X \(x.shape), W \(w.shape) and R \(rec.shape) must be 3-D")
        }
        if layout == 1 { x = transposed01(x) }
        let (steps, batch, inputSize) = (x.shape[0], x.shape[1], x.shape[2])
        let hidden = try ctx.int("hidden_size", rec.shape[2])
        let direction = try ctx.string("direction", "forward")
        let directions = direction == "bidirectional" ? 2 : 1
        guard ["forward", "reverse", "bidirectional"].contains(direction) else {
            throw ctx.fail(.badAttribute, "unknown direction '\(direction)'")
        }
        let gates = cell.gates
        guard w.shape == [directions, gates * hidden, inputSize], rec.shape == [directions, gates * hidden, hidden]
        else {
            throw ctx.fail(
                .shapeMismatch,
                "W \(w.shape) and R \(rec.shape) must be [\(directions), \(gates * hidden), \(inputSize) and \(hidden)]"
            )
        }
        func optional(_ i: Int, _ shape: [Int]) throws -> [Float]? {
            guard let v = ctx.optional(inputs, i), v.count > 0 else { return nil }
            var value = v
            if layout == 1 && v.rank == 3 && i >= 5 { value = transposed01(v) }
            guard value.shape == shape, value.type.isFloat else {
                throw ctx.fail(.shapeMismatch, "input \(i) is \(v.shape), expected \(shape)")
            }
            return value.floats
        }
        let bias = try optional(3, [directions, 2 * gates * hidden])
        let lengths: [Int] =
            try ctx.optional(inputs, 4).flatMap { $0.count > 0 ? $0.ints.map { Int(clamping: $0) } : nil }
            ?? [Int](repeating: steps, count: batch)
        guard lengths.count == batch, lengths.allSatisfy({ (0...steps).contains($0) }) else {
            throw ctx.fail(.badInput, "sequence_lens must hold \(batch) lengths in 0...\(steps)")
        }
        let initialH = try optional(5, [directions, batch, hidden])
        let initialC = cell == .lstm ? try optional(6, [directions, batch, hidden]) : nil
        let peepholes = cell == .lstm ? try optional(7, [directions, 3 * hidden]) : nil
        guard try ctx.int("input_forget", 0) == 0 else { throw ctx.fail(.unsupported, "input_forget is not supported") }
        let names = try ctx.strings("activations") ?? []
        let perDirection = cell.defaultActivations.count
        let alphas = try ctx.floats("activation_alpha") ?? [], betas = try ctx.floats("activation_beta") ?? []
        var functions = [[(Float) -> Float]]()
        for d in 0..<directions {
            var list = [(Float) -> Float]()
            for a in 0..<perDirection {
                let index = d * perDirection + a
                let name = index < names.count ? names[index] : cell.defaultActivations[a]
                list.append(
                    try activation(
                        ctx, name, alpha: index < alphas.count ? alphas[index] : nil,
                        beta: index < betas.count ? betas[index] : nil))
            }
            functions.append(list)
        }
        let clip = try ctx.floats("clip")?.first
        let linearBeforeReset = try ctx.int("linear_before_reset", 0) != 0
        var y = [Float](repeating: 0, count: steps * directions * batch * hidden)
        var lastH = [Float](repeating: 0, count: directions * batch * hidden), lastC = lastH
        let ws = w.floats, rs = rec.floats
        // onnxruntime's DynamicQuantizeLSTM quantizes X (all of it, once) and each step's h (the batch's rows
        // together) to uint8 before its products: the same codes, dequantized, reproduce that rounding.
        let xs = quantizeActivations ? dynamicallyRounded(x.floats) : x.floats
        for d in 0..<directions {
            let reverse = direction == "reverse" || d == 1
            let f = functions[d][0], g = perDirection > 1 ? functions[d][1] : functions[d][0]
            let h = perDirection > 2 ? functions[d][2] : g
            var states = (0..<batch).map { b in (0..<hidden).map { initialH?[(d * batch + b) * hidden + $0] ?? 0 } }
            var memories = (0..<batch).map { b in (0..<hidden).map { initialC?[(d * batch + b) * hidden + $0] ?? 0 } }
            for step in 0..<steps {
                let active = (0..<batch).filter { step < lengths[$0] }
                if active.isEmpty { break }
                var inputs = states
                if quantizeActivations {
                    let rounded = dynamicallyRounded(active.flatMap { states[$0] })
                    for (k, b) in active.enumerated() { inputs[b] = Array(rounded[(k * hidden)..<((k + 1) * hidden)]) }
                }
                for b in active {
                    let t = reverse ? lengths[b] - 1 - step : step
                    let state = states[b], memory = memories[b], recurrentInput = inputs[b]
                    let xBase = (t * batch + b) * inputSize
                    // Per gate row j: W_j x_t + W_bj and R_j h_(t-1) + R_bj.
                    func inputPart(_ row: Int) -> Float {
                        var sum = bias?[d * 2 * gates * hidden + row] ?? 0
                        for k in 0..<inputSize { sum += ws[(d * gates * hidden + row) * inputSize + k] * xs[xBase + k] }
                        return sum
                    }
                    func recurrentPart(_ row: Int, _ state: [Float]) -> Float {
                        var sum = bias?[d * 2 * gates * hidden + gates * hidden + row] ?? 0
                        for k in 0..<hidden { sum += rs[(d * gates * hidden + row) * hidden + k] * state[k] }
                        return sum
                    }
                    func clipped(_ v: Float) -> Float { clip.map { min(max(v, -$0), $0) } ?? v }
                    var next = [Float](repeating: 0, count: hidden)
                    switch cell {
                    case .rnn:
                        for j in 0..<hidden { next[j] = f(clipped(inputPart(j) + recurrentPart(j, state))) }
                    case .gru:
                        let z = (0..<hidden).map { f(clipped(inputPart($0) + recurrentPart($0, state))) }
                        let reset = (0..<hidden).map {
                            f(clipped(inputPart(hidden + $0) + recurrentPart(hidden + $0, state)))
                        }
                        let gated = zip(reset, state).map { $0 * $1 }
                        for j in 0..<hidden {
                            let row = 2 * hidden + j
                            let candidate =
                                linearBeforeReset
                                ? g(clipped(inputPart(row) + reset[j] * recurrentPart(row, state)))
                                : g(clipped(inputPart(row) + recurrentPart(row, gated)))
                            next[j] = (1 - z[j]) * candidate + z[j] * state[j]
                        }
                    case .lstm:
                        var cell = [Float](repeating: 0, count: hidden)
                        for j in 0..<hidden {
                            let peep = { (k: Int) in peepholes?[d * 3 * hidden + k * hidden + j] ?? 0 }
                            let i = f(clipped(inputPart(j) + recurrentPart(j, recurrentInput) + peep(0) * memory[j]))
                            let forget = f(
                                clipped(
                                    inputPart(2 * hidden + j) + recurrentPart(2 * hidden + j, recurrentInput)
                                        + peep(2) * memory[j]))
                            let candidate = g(
                                clipped(inputPart(3 * hidden + j) + recurrentPart(3 * hidden + j, recurrentInput)))
                            cell[j] = forget * memory[j] + i * candidate
                            let o = f(
                                clipped(
                                    inputPart(hidden + j) + recurrentPart(hidden + j, recurrentInput) + peep(1)
                                        * cell[j]))
                            next[j] = o * h(cell[j])
                        }
                        memories[b] = cell
                    }
                    states[b] = next
                    for j in 0..<hidden { y[((t * directions + d) * batch + b) * hidden + j] = next[j] }
                }
            }
            for b in 0..<batch {
                for j in 0..<hidden {
                    lastH[(d * batch + b) * hidden + j] = states[b][j]
                    lastC[(d * batch + b) * hidden + j] = memories[b][j]
                }
            }
        }
        var outputs = [
            Value(type: x.type, shape: [steps, directions, batch, hidden], storage: .float(y)),
            Value(type: x.type, shape: [directions, batch, hidden], storage: .float(lastH)),
        ]
        if cell == .lstm {
            outputs.append(Value(type: x.type, shape: [directions, batch, hidden], storage: .float(lastC)))
        }
        if layout == 1 {
            // Y as [batch, seq, directions, hidden]; the states as [batch, directions, hidden].
            outputs[0] = outputs[0].transposed([2, 0, 1, 3])
            for i in 1..<outputs.count { outputs[i] = transposed01(outputs[i]) }
        }
        return outputs
    }

    /// `values` rounded to uint8 codes over their range widened to contain 0 and read back, as onnxruntime's
    /// quantized recurrent products see their float operand: S = (max - min) / 255 (1 when max = min),
    /// Z = round(-min / S) clamped to 0...255, q = clamp(round(v / S) + Z), v' = (q - Z) S.
    static func dynamicallyRounded(_ values: [Float]) -> [Float] {
        let low = min(0, values.min() ?? 0), high = max(0, values.max() ?? 0)
        let scale: Float = high == low ? 1 : (high - low) / 255
        let zero = min(max(0 - low / scale, 0), 255).rounded(.toNearestOrEven)
        return values.map { v in (min(max((v / scale).rounded(.toNearestOrEven) + zero, 0), 255) - zero) * scale }
    }

    /// The first two axes of a 3-D value swapped.
    static func transposed01(_ v: Value) -> Value { v.transposed([1, 0, 2]) }
}
