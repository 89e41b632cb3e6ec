import Foundation

/// Resize (opsets 10 to 19: nearest with its four rounding modes, linear and cubic, every coordinate
/// transformation, antialias, axes, keep_aspect_ratio_policy, exclude_outside, tf_crop_and_resize's extrapolation)
/// and Upsample (opsets 7 to 9), per the ONNX spec and its reference implementation: the output is separable, one
/// 1-D interpolation per resized axis, innermost first, each output coordinate mapped to an input coordinate
/// `x_ori`, whose neighbours (clamped to the edge) are weighted by the mode's coefficients, in Double.
enum ResizeOps {
    static func register(_ r: inout [String: OperatorDef]) {
        r["Resize"] = OperatorDef(run: { ctx, inputs in [try resize(ctx, inputs, upsample: false)] }, infer: sameRank)
        r["Upsample"] = OperatorDef(run: { ctx, inputs in [try resize(ctx, inputs, upsample: true)] }, infer: sameRank)
    }

    static func sameRank(_ ctx: OpContext, _ t: [TypeInfo?]) throws -> [TypeInfo] {
        guard let x = t.at(0) else { throw ctx.fail(.malformedModel, "input 0 is required") }
        return [TypeInfo(type: x.type, shape: x.shape.map { $0.map { _ in Dim.unknown } })]
    }

    /// How one axis is resampled.
    struct AxisPlan {
        let inputSize: Int
        let outputSize: Int
        let scale: Double
        let roi: (start: Double, end: Double)?
    }

    static func resize(_ ctx: OpContext, _ inputs: [Value?], upsample: Bool) throws -> Value {
        let x = try ctx.floatInput(inputs, 0)
        let legacy = upsample || ctx.opset < 11
        let mode = try ctx.string("mode", "nearest")
        guard ["nearest", "linear", "cubic"].contains(mode), !(legacy && mode == "cubic") else {
            throw ctx.fail(.badAttribute, "unknown mode '\(mode)'")
        }
        let transform = legacy ? "asymmetric" : try ctx.string("coordinate_transformation_mode", "half_pixel")
        let nearestMode = legacy ? "floor" : try ctx.string("nearest_mode", "round_prefer_floor")
        let rank = x.rank
        let axes = try (ctx.ints("axes") ?? Array(0..<rank)).map { try ctx.axis($0, rank: rank) }
        guard Set(axes).count == axes.count else { throw ctx.fail(.badAttribute, "axes \(axes) repeat an axis") }
        // Scales or sizes for `axes`.
        var scales: [Double]? = nil, sizes: [Int]? = nil, roi: [Double]? = nil
        if upsample && ctx.opset < 9 {
            scales = try ctx.floats("scales")?.map(Double.init)
        } else if legacy {
            scales = try ctx.floatInput(inputs, 1).floats.map(Double.init)
        } else {
            if let r = ctx.optional(inputs, 1), r.count > 0 { roi = r.floats.map(Double.init) }
            if let s = ctx.optional(inputs, 2), s.count > 0 { scales = s.floats.map(Double.init) }
            if let s = ctx.optional(inputs, 3), s.count > 0 { sizes = s.ints.map { Int(clamping: $0) } }
        }
        let axisCount = axes.count
        var plans = [Int: AxisPlan]()
        if let sizes {
            guard scales == nil, sizes.count == axisCount, sizes.allSatisfy({ $0 >= 0 }) else {
                throw ctx.fail(.badInput, "give either scales or \(axisCount) non-negative sizes")
            }
            var ratios = zip(sizes, axes).map { Double($0) / Double(max(x.shape[$1], 1)) }
            var outputs = sizes
            switch try ctx.string("keep_aspect_ratio_policy", "stretch") {
            case "stretch": break
            case let policy where policy == "not_larger" || policy == "not_smaller":
                let ratio = policy == "not_larger" ? ratios.min() ?? 1 : ratios.max() ?? 1
                ratios = ratios.map { _ in ratio }
                outputs = axes.map { Int((ratio * Double(x.shape[$0])).rounded(.toNearestOrEven)) }
            case let policy: throw ctx.fail(.badAttribute, "unknown keep_aspect_ratio_policy '\(policy)'")
            }
            for (i, axis) in axes.enumerated() {
                plans[axis] = AxisPlan(inputSize: x.shape[axis], outputSize: outputs[i], scale: ratios[i], roi: nil)
            }
        } else if let scales {
            guard scales.count == axisCount, scales.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw ctx.fail(.badInput, "scales \(scales) must be \(axisCount) positive numbers")
            }
            for (i, axis) in axes.enumerated() {
                let size = Int((scales[i] * Double(x.shape[axis])).rounded(.down))
                plans[axis] = AxisPlan(inputSize: x.shape[axis], outputSize: size, scale: scales[i], roi: nil)
            }
        } else {
            throw ctx.fail(.badInput, "either scales or sizes is required")
        }
        if transform == "tf_crop_and_resize" {
            guard let roi, roi.count == 2 * axisCount else {
                throw ctx.fail(.badInput, "tf_crop_and_resize needs an roi of \(2 * axisCount) values")
            }
            for (i, axis) in axes.enumerated() {
                let p = plans[axis]!
                plans[axis] = AxisPlan(
                    inputSize: p.inputSize, outputSize: p.outputSize, scale: p.scale,
                    roi: (roi[i], roi[i + axisCount]))
            }
        }
        let settings = Settings(
            mode: mode, transform: transform, nearestMode: nearestMode,
            cubicA: Double(try ctx.float("cubic_coeff_a", -0.75)),
            excludeOutside: try ctx.int("exclude_outside", 0) != 0,
            antialias: try ctx.int("antialias", 0) != 0,
            extrapolation: Double(try ctx.float("extrapolation_value", 0)))
        var shape = x.shape, values = x.floats.map(Double.init)
        for axis in (0..<rank).reversed() {
            guard let plan = plans[axis] else { continue }
            if plan.scale == 1 && plan.outputSize == plan.inputSize && plan.roi == nil && !settings.excludeOutside {
                continue
            }
            var resized = shape
            resized[axis] = plan.outputSize
            _ = try ctx.checkedCount(resized)
            let taps = try (0..<plan.outputSize).map { try settings.taps(ctx, output: $0, plan: plan) }
            values = resampled(values, shape: shape, axis: axis, taps: taps)
            shape[axis] = plan.outputSize
        }
        return Value(type: x.type, shape: shape, storage: .float(values.map { Float($0) }))
    }

    /// One axis resampled: output coordinate j along `axis` is `sum taps[j]` of input coordinates (nil: the
    /// extrapolation value). Each output element sums its taps in their order from 0, so the bits do not depend on
    /// the loop order; the taps are flattened once and whole rows of the inner axes are added per tap.
    static func resampled(_ values: [Double], shape: [Int], axis: Int, taps: [Taps]) -> [Double] {
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *), length = shape[axis]
        var first = [0], indices = [Int](), weights = [Double](), constants = [Double?]()
        for tap in taps {
            switch tap {
            case .constant(let value):
                constants.append(value)
            case .weights(let tapIndices, let tapWeights):
                constants.append(nil)
                for (index, weight) in zip(tapIndices, tapWeights) where weight != 0 {
                    indices.append(index)
                    weights.append(weight)
                }
            }
            first.append(indices.count)
        }
        var out = [Double](repeating: 0, count: outer * taps.count * inner)
        values.withUnsafeBufferPointer { pv in
            out.withUnsafeMutableBufferPointer { po in
                for o in 0..<outer {
                    let source = pv.baseAddress! + o * length * inner
                    for j in 0..<taps.count {
                        let target = po.baseAddress! + (o * taps.count + j) * inner
                        if let value = constants[j] {
                            for k in 0..<inner { target[k] = value }
                            continue
                        }
                        for e in first[j]..<first[j + 1] {
                            let weight = weights[e], row = source + indices[e] * inner
                            for k in 0..<inner { target[k] += weight * row[k] }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The input positions and weights of one output coordinate, or a constant (tf_crop_and_resize outside).
    enum Taps {
        case weights([Int], [Double])
        case constant(Double)
    }

    struct Settings {
        let mode: String, transform: String, nearestMode: String
        let cubicA: Double
        let excludeOutside: Bool, antialias: Bool
        let extrapolation: Double

        /// The reference's `_interpolate_1d_with_x` for output coordinate `output`.
        func taps(_ ctx: OpContext, output: Int, plan: AxisPlan) throws -> Taps {
            let x = Double(output), scale = plan.scale, inputSize = Double(plan.inputSize)
            let outputWidth = scale * inputSize
            let original: Double
            switch transform {
            case "align_corners":
                original = outputWidth == 1 ? 0 : x * (inputSize - 1) / (outputWidth - 1)
            case "asymmetric":
                original = x / scale
            case "tf_crop_and_resize":
                let roi = plan.roi!
                original =
                    (outputWidth == 1
                        ? (roi.end - roi.start) * (inputSize - 1) / 2
                        : x * (roi.end - roi.start) * (inputSize - 1) / (outputWidth - 1)) + roi.start * (inputSize - 1)
                if original < 0 || original > inputSize - 1 { return .constant(extrapolation) }
            case "pytorch_half_pixel":
                original = outputWidth == 1 ? -0.5 : (x + 0.5) / scale - 0.5
            case "half_pixel":
                original = (x + 0.5) / scale - 0.5
            case "tf_half_pixel_for_nn":
                original = (x + 0.5) / scale
            case "half_pixel_symmetric":
                let adjustment = Double(plan.outputSize) / outputWidth
                original = inputSize / 2 * (1 - adjustment) + (x + 0.5) / scale - 0.5
            default:
                throw ctx.fail(.badAttribute, "unknown coordinate_transformation_mode '\(transform)'")
            }
            // The left neighbour and the ratio in (0, 1] (an integer coordinate counts as ratio 1 from the left).
            let isInteger = original == original.rounded(.down)
            let left = isInteger ? Int(original) - 1 : Int(original.rounded(.down))
            let ratio = original - Double(left)
            let (first, coefficients) = try self.coefficients(ctx, ratio: ratio, isInteger: isInteger, scale: scale)
            var indices = [Int](), weights = coefficients
            for (i, _) in coefficients.enumerated() {
                let index = left + first + i
                if excludeOutside && (index < 0 || index >= plan.inputSize) { weights[i] = 0 }
                indices.append(min(max(index, 0), plan.inputSize - 1))
            }
            if excludeOutside {
                let total = weights.reduce(0, +)
                if total != 0 { weights = weights.map { $0 / total } }
            }
            return .weights(indices, weights)
        }

        /// The offset of the first neighbour from the left one, and the neighbours' coefficients.
        func coefficients(_ ctx: OpContext, ratio: Double, isInteger: Bool, scale: Double) throws -> (Int, [Double]) {
            switch mode {
            case "nearest":
                if isInteger { return (0, [0, 1]) }
                switch nearestMode {
                case "round_prefer_floor": return (0, ratio <= 0.5 ? [1, 0] : [0, 1])
                case "round_prefer_ceil": return (0, ratio < 0.5 ? [1, 0] : [0, 1])
                case "floor": return (0, [1, 0])
                case "ceil": return (0, [0, 1])
                default: throw ctx.fail(.badAttribute, "unknown nearest_mode '\(nearestMode)'")
                }
            case "linear":
                guard antialias && scale < 1 else { return (0, [1 - ratio, ratio]) }
                let start = Int((-1 / scale).rounded(.down)) + 1, footprint = 2 - 2 * start
                let raw = (0..<footprint).map { max(0, min(1, 1 - abs((Double(start + $0) - ratio) * scale))) }
                let total = raw.reduce(0, +)
                return (start, raw.map { $0 / total })
            default:
                let a = cubicA
                func kernel(_ t: Double) -> Double {
                    let x = abs(t)
                    if x <= 1 { return (a + 2) * x * x * x - (a + 3) * x * x + 1 }
                    if x < 2 { return a * x * x * x - 5 * a * x * x + 8 * a * x - 4 * a }
                    return 0
                }
                guard antialias && scale < 1 else {
                    let r = ratio
                    return (
                        -1,
                        [
                            ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
                            ((a + 2) * r - (a + 3)) * r * r + 1,
                            ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
                            ((a * ((1 - r) + 1) - 5 * a) * ((1 - r) + 1) + 8 * a) * ((1 - r) + 1) - 4 * a,
                        ]
                    )
                }
                let start = Int((-2 / scale).rounded(.down)) + 1, end = 2 - start
                let raw = (start..<end).map { kernel(scale * (Double($0) - ratio)) }
                let total = raw.reduce(0, +)
                return (start, raw.map { $0 / total })
            }
        }
    }
}
