/// Resampling filters, as Pillow defines them (`Image.Resampling`), evaluated in Float.
///
/// Shrinking is antialiased the way Pillow and torchvision (antialias=True) do it: the filter's
/// support is widened by the scale factor, so every source pixel under the footprint contributes.
public enum ResizeFilter: String, Sendable, Codable, CaseIterable {
    /// Triangle filter, support 1: `1 - |x|`.
    case bilinear
    /// Keys cubic with a = -0.5, support 2.
    case bicubic
    /// Box filter, support 0.5: with antialiasing, the average over each output pixel's area.
    case area

    /// Half-width of the filter at scale 1.
    var support: Double {
        switch self {
        case .bilinear: return 1
        case .bicubic: return 2
        case .area: return 0.5
        }
    }

    /// The filter's weight at distance `x`.
    func weight(_ x: Double) -> Double {
        switch self {
        case .bilinear:
            let ax = abs(x)
            return ax < 1 ? 1 - ax : 0
        case .bicubic:
            let a = -0.5, ax = abs(x)
            if ax < 1 { return ((a + 2) * ax - (a + 3)) * ax * ax + 1 }
            if ax < 2 { return (((ax - 5) * ax + 8) * ax - 4) * a }
            return 0
        case .area:
            return (x > -0.5 && x <= 0.5) ? 1 : 0
        }
    }
}

/// The taps of a 1-D resampling: for each output index, the first source index and normalized weights.
struct ResampleTaps {
    /// Taps per output (the same for every output; shorter windows are padded with zero weights).
    let width: Int
    /// First source index of each output.
    let start: [Int]
    /// `width` weights per output, row after row.
    let weights: [Float]

    /// Taps mapping `inSize` samples to `outSize`, for the outputs `outRange` only (a crop window).
    /// Output pixel `i` has its centre at `(i + 0.5) * inSize / outSize` in source coordinates, as in
    /// Pillow's `precompute_coeffs`; weights are normalized to sum to 1.
    init(inSize: Int, outSize: Int, outRange: Range<Int>, filter: ResizeFilter, antialias: Bool) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = antialias ? max(scale, 1) : 1
        let support = filter.support * filterScale
        // Every window fits inside the source: at most 2*ceil(support)+1 taps, and never more than inSize.
        let width = min(Int(support.rounded(.up)) * 2 + 1, inSize)
        var start = [Int]()
        var weights = [Float]()
        start.reserveCapacity(outRange.count)
        weights.reserveCapacity(outRange.count * width)
        let inverse = 1 / filterScale
        for i in outRange {
            let center = (Double(i) + 0.5) * scale
            let lo = max(Int(center - support + 0.5), 0)
            let hi = min(Int(center + support + 0.5), inSize)
            var w = [Double](repeating: 0, count: width)
            var total = 0.0
            for x in lo..<max(hi, lo) where x - lo < width {
                let v = filter.weight((Double(x) - center + 0.5) * inverse)
                w[x - lo] = v
                total += v
            }
            if total == 0 {  // degenerate footprint: take the nearest sample
                let nearest = min(max(Int(center), 0), inSize - 1)
                start.append(nearest)
                w = [Double](repeating: 0, count: width)
                w[0] = 1
                total = 1
            } else {
                // Keep the window inside the source: shift it left if it would run past the end.
                let first = min(lo, max(inSize - width, 0))
                if first != lo {
                    let shift = lo - first
                    w = [Double](repeating: 0, count: shift) + w.prefix(width - shift)
                }
                start.append(first)
            }
            for k in 0..<width { weights.append(Float(w[k] / total)) }
        }
        self.width = width
        self.start = start
        self.weights = weights
    }
}
