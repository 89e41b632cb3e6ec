/// NonMaxSuppression (opset 10+), per the ONNX spec and onnxruntime's order: per batch and class, the boxes whose
/// score exceeds `score_threshold` are taken by descending score (ties: the lower box index first); a box is kept
/// unless its intersection over union with a box already kept exceeds `iou_threshold`, up to
/// `max_output_boxes_per_class`. Boxes are corners `[y1, x1, y2, x2]` (either diagonal) or, with
/// `center_point_box` 1, `[x_center, y_center, width, height]`. Output: int64 [selected, 3] rows of
/// (batch, class, box).
enum NonMaxSuppressionOp {
    static func register(_ r: inout [String: OperatorDef]) {
        r["NonMaxSuppression"] = OperatorDef(
            run: run, infer: { _, _ in [TypeInfo(type: .int64, shape: [.unknown, .fixed(3)])] })
    }

    /// A box as (top, left, bottom, right).
    typealias Box = (top: Float, left: Float, bottom: Float, right: Float)

    static func run(_ ctx: OpContext, _ inputs: [Value?]) throws -> [Value] {
        let boxes = try ctx.floatInput(inputs, 0), scores = try ctx.floatInput(inputs, 1)
        guard boxes.rank == 3, boxes.shape[2] == 4, scores.rank == 3, scores.shape[0] == boxes.shape[0],
            scores.shape[2] == boxes.shape[1]
        else {
            throw ctx.fail(
                .shapeMismatch,
                "boxes \(boxes.shape) must be [batches, boxes, 4] and scores \(scores.shape) "
                    + "[batches, classes, boxes]")
        }
        let limit = ctx.optional(inputs, 2).flatMap { $0.ints.first } ?? 0
        let iouThreshold = ctx.optional(inputs, 3).flatMap { $0.floats.first } ?? 0
        let scoreThreshold = ctx.optional(inputs, 4).flatMap { $0.floats.first }
        guard (0...1).contains(iouThreshold) else {
            throw ctx.fail(.badInput, "iou_threshold \(iouThreshold) must be in [0, 1]")
        }
        let center = try ctx.int("center_point_box", 0)
        guard center == 0 || center == 1 else {
            throw ctx.fail(.badAttribute, "center_point_box must be 0 or 1, not \(center)")
        }
        let (batches, count, classes) = (boxes.shape[0], boxes.shape[1], scores.shape[1])
        let b = boxes.floats, s = scores.floats
        func box(_ batch: Int, _ i: Int) -> Box {
            let v = (0..<4).map { b[(batch * count + i) * 4 + $0] }
            if center == 1 {
                return (v[1] - v[3] / 2, v[0] - v[2] / 2, v[1] + v[3] / 2, v[0] + v[2] / 2)
            }
            return (min(v[0], v[2]), min(v[1], v[3]), max(v[0], v[2]), max(v[1], v[3]))
        }
        var selected = [Int64]()
        for batch in 0..<batches {
            for c in 0..<classes where limit > 0 {
                let base = (batch * classes + c) * count
                let candidates = (0..<count).filter { i in scoreThreshold.map { s[base + i] > $0 } ?? true }
                    .sorted { s[base + $0] > s[base + $1] || (s[base + $0] == s[base + $1] && $0 < $1) }
                var kept = [Int]()
                for i in candidates {
                    let candidate = box(batch, i)
                    if kept.contains(where: { overlap(box(batch, $0), candidate) > iouThreshold }) { continue }
                    kept.append(i)
                    selected += [Int64(batch), Int64(c), Int64(i)]
                    if kept.count >= limit { break }
                }
            }
        }
        return [Value(type: .int64, shape: [selected.count / 3, 3], ints: selected)]
    }

    /// Intersection over union; 0 when either box has no area.
    static func overlap(_ a: Box, _ b: Box) -> Float {
        let areaA = (a.bottom - a.top) * (a.right - a.left), areaB = (b.bottom - b.top) * (b.right - b.left)
        guard areaA > 0, areaB > 0 else { return 0 }
        let height = max(0, min(a.bottom, b.bottom) - max(a.top, b.top))
        let width = max(0, min(a.right, b.right) - max(a.left, b.left))
        let intersection = height * width
        return intersection / (areaA + areaB - intersection)
    }
}
