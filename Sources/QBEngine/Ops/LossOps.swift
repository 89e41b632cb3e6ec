import Foundation

/// The loss operators of ONNX opsets 12-13, forward only: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
/// Exported training graphs and evaluation graphs that compute their own loss carry them.
enum LossOps {
    static func register(_ r: inout [String: OperatorDef]) {
        r["NegativeLogLikelihoodLoss"] = OperatorDef(run: negativeLogLikelihood, infer: inferLoss)
        r["SoftmaxCrossEntropyLoss"] = OperatorDef(run: softmaxCrossEntropy, infer: inferLoss)
    }

    /// NegativeLogLikelihoodLoss: input [N, C, d1, ..., dk] (log-probabilities), target [N, d1, ..., dk] (class
    /// indices), optional weight [C].
    /// loss[n, d] = -input[n, target[n, d], d] * weight[target[n, d]], and 0 where target = ignore_index.
    /// reduction `none` keeps [N, d1, ..., dk]; `sum` adds; `mean` divides the sum by the sum of the weights used
    /// (without weights: the number of targets not ignored).
    static func negativeLogLikelihood(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.floatInput(inputs, 0)
        return [try loss(ctx, logProbabilities: x.floats, shape: x.shape, type: x.type, inputs)]
    }

    /// SoftmaxCrossEntropyLoss: log_prob = LogSoftmax(scores) along axis 1, then the NegativeLogLikelihoodLoss of
    /// log_prob; the optional second output is log_prob itself.
    static func softmaxCrossEntropy(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let x = try ctx.floatInput(inputs, 0)
        guard x.rank >= 2 else { throw ctx.fail(.shapeMismatch, "scores must be [N, C, ...], got \(x.shape)") }
        let classes = x.shape[1], inner = x.shape[2...].reduce(1, *), batch = x.shape[0]
        let scores = x.floats
        var logProbabilities = [Float](repeating: 0, count: scores.count)
        for n in 0..<batch {
            for d in 0..<inner {
                let base = n * classes * inner + d
                var largest = -Float.infinity
                for c in 0..<classes { largest = max(largest, scores[base + c * inner]) }
                var sum: Float = 0
                for c in 0..<classes { sum += Foundation.exp(scores[base + c * inner] - largest) }
                let logSum = Foundation.log(sum)
                for c in 0..<classes {
                    logProbabilities[base + c * inner] = scores[base + c * inner] - largest - logSum
                }
            }
        }
        let result = try loss(ctx, logProbabilities: logProbabilities, shape: x.shape, type: x.type, inputs)
        return [result, Value(type: x.type, shape: x.shape, storage: .float(logProbabilities))]
    }

    /// The weighted, reduced negative log-likelihood shared by both operators.
    private static func loss(
        _ ctx: OpContext, logProbabilities: [Float], shape: [Int], type: DataType, _ inputs: [Value?]
    ) throws -> Value {
        guard shape.count >= 2 else {
            throw ctx.fail(.shapeMismatch, "input must be [N, C] or [N, C, d1, ...], got \(shape)")
        }
        let target = try ctx.input(inputs, 1)
        guard !target.type.isFloat else { throw ctx.fail(.typeMismatch, "target must hold integer class indices") }
        let targetShape = [shape[0]] + Array(shape[2...])
        guard target.shape == targetShape else {
            throw ctx.fail(.shapeMismatch, "target is \(target.shape), the input \(shape) needs \(targetShape)")
        }
        let classes = shape[1], inner = shape[2...].reduce(1, *)
        let weights = ctx.optional(inputs, 2)?.floats
        if let weights, weights.count != classes {
            throw ctx.fail(.shapeMismatch, "weight has \(weights.count) elements for \(classes) classes")
        }
        let reduction = try ctx.string("reduction", "mean")
        guard ["none", "sum", "mean"].contains(reduction) else {
            throw ctx.fail(.badAttribute, "reduction '\(reduction)' is not none, sum or mean")
        }
        let ignoreIndex: Int64? =
            ctx.node.attributes["ignore_index"] == nil ? nil : Int64(try ctx.int("ignore_index", 0))
        let labels = target.ints
        var losses = [Float](repeating: 0, count: labels.count)
        var weightSum: Float = 0
        for (i, label) in labels.enumerated() {
            if label == ignoreIndex { continue }
            guard label >= 0 && label < Int64(classes) else {
                throw ctx.fail(.badInput, "target \(label) is outside the \(classes) classes")
            }
            let n = i / inner, d = i % inner, c = Int(label)
            let w = weights?[c] ?? 1
            losses[i] = -logProbabilities[(n * classes + c) * inner + d] * w
            weightSum += w
        }
        switch reduction {
        case "none": return Value(type: type, shape: targetShape, storage: .float(losses))
        case "sum": return Value(type: type, shape: [], storage: .float([losses.reduce(0, +)]))
        default:
            let total = losses.reduce(0, +)
            let mean = weights == nil && ignoreIndex == nil ? total / Float(max(labels.count, 1)) : total / weightSum
            return Value(type: type, shape: [], storage: .float([mean]))
        }
    }

    static func inferLoss(_ ctx: OpContext, _ t: [TypeInfo?]) throws -> [TypeInfo] {
        guard let x = t.first ?? nil else { throw ctx.fail(.malformedModel, "input 0 is required") }
        let reduced = try ctx.string("reduction", "mean") != "none"
        let lossShape: [Dim]? = reduced ? [] : x.shape.map { s in s.count >= 2 ? [s[0]] + Array(s[2...]) : s }
        return [TypeInfo(type: x.type, shape: lossShape), TypeInfo(type: x.type, shape: x.shape)]
    }
}
