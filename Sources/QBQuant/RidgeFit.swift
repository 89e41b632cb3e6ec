import Foundation

/// A streamed least-squares problem `min ||X~ B - T||^2 + lambda ||B||^2` with `X~ = [X, 1]` (bias column
/// last): the Gram matrices are accumulated in Float64 row block by row block, so memory does not grow
/// with the number of rows (QwT fits on 512 calibration samples).
///
/// Accumulated: `G = X~^T X~` ((k+1) x (k+1)), `C = X~^T T` ((k+1) x m), and per target column the sum and
/// the sum of squares (for R^2). The order of the additions is fixed by the order of the rows, so the result
/// does not depend on the thread count.
public struct RidgeFit: Sendable {
    /// Input features (without the bias column) and target columns.
    public let inputs: Int
    public let targets: Int
    /// Rows added so far.
    public private(set) var rows = 0
    var gram: [Double]
    var cross: [Double]
    var sumT: [Double]
    var sumT2: [Double]

    public init(inputs: Int, targets: Int) {
        self.inputs = inputs
        self.targets = targets
        let k = inputs + 1
        gram = [Double](repeating: 0, count: k * k)
        cross = [Double](repeating: 0, count: k * targets)
        sumT = [Double](repeating: 0, count: targets)
        sumT2 = [Double](repeating: 0, count: targets)
    }

    /// Adds `count` rows given column by column: `x[j * count + r]` is feature j of row r, `t[c * count + r]`
    /// target c of row r (the layout a channel-major activation slice has).
    public mutating func add(columnsX x: [Float], columnsT t: [Float], count: Int) {
        precondition(x.count == inputs * count && t.count == targets * count)
        guard count > 0 else { return }
        let k = inputs + 1
        // Columns in Double, with the bias column of ones last.
        var xd = [Double](repeating: 1, count: k * count)
        for i in 0..<(inputs * count) { xd[i] = Double(x[i]) }
        let td = t.map(Double.init)
        xd.withUnsafeBufferPointer { xp in
            td.withUnsafeBufferPointer { tp in
                gram.withUnsafeMutableBufferPointer { g in
                    for i in 0..<k {
                        for j in i..<k {
                            let d = RidgeFit.dot(xp.baseAddress! + i * count, xp.baseAddress! + j * count, count)
                            g[i * k + j] += d
                        }
                    }
                }
                cross.withUnsafeMutableBufferPointer { c in
                    for i in 0..<k {
                        for m in 0..<targets {
                            c[i * targets + m] += RidgeFit.dot(
                                xp.baseAddress! + i * count, tp.baseAddress! + m * count, count)
                        }
                    }
                }
                for m in 0..<targets {
                    var s = 0.0
                    for r in 0..<count { s += tp[m * count + r] }
                    sumT[m] += s
                    sumT2[m] += RidgeFit.dot(tp.baseAddress! + m * count, tp.baseAddress! + m * count, count)
                }
            }
        }
        for i in 0..<k { for j in 0..<i { gram[i * k + j] = gram[j * k + i] } }
        rows += count
    }

    /// A dot product in a fixed order: four interleaved partial sums, then the tail.
    static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
        var s = SIMD4<Double>()
        var i = 0
        while i + 4 <= n {
            s += SIMD4(a[i], a[i + 1], a[i + 2], a[i + 3]) * SIMD4(b[i], b[i + 1], b[i + 2], b[i + 3])
            i += 4
        }
        var tail = 0.0
        while i < n {
            tail += a[i] * b[i]
            i += 1
        }
        return (s[0] + s[1]) + (s[2] + s[3]) + tail
    }

    /// The solution of one fit.
    public struct Solution: Sendable, Equatable {
        /// `(k+1) x m`, row-major: row j < k holds feature j's weights for every target, the last row the bias.
        public var beta: [Double]
        /// The regularization actually used (larger than asked when the fallback had to add some).
        public var lambda: Double
        /// Whether the normal matrix was not positive definite at the asked lambda.
        public var fallback: Bool
    }

    /// Solves `(G + lambda I) B = C` by Cholesky. If the matrix is not numerically positive definite (a
    /// singular Gram at lambda = 0, e.g. inputs that lie in a hyperplane), lambda grows from 1e-12 of the
    /// mean diagonal by factors of 10 until it is, and the solution says so.
    public func solve(lambda: Double, file: String = "", what: String = "QwT") throws -> Solution {
        let k = inputs + 1
        guard rows > 0 else { throw QuantError(file: file, "\(what): no rows to fit") }
        let meanDiag = (0..<k).reduce(0.0) { $0 + gram[$1 * k + $1] } / Double(k)
        var lam = lambda, fallback = false
        var step = max(meanDiag, 1e-30) * 1e-12
        for _ in 0..<20 {
            var a = gram
            for i in 0..<k { a[i * k + i] += lam }
            if let l = RidgeFit.cholesky(a, k, minimumPivot: 1e-12 * Double(k) * max(meanDiag, 1e-300)) {
                return Solution(beta: RidgeFit.solve(l, k, cross, targets), lambda: lam, fallback: fallback)
            }
            fallback = true
            lam = max(lambda, 0) + step
            step *= 10
        }
        throw QuantError(file: file, "\(what): the normal equations stay singular (\(k) inputs, \(rows) rows)")
    }

    /// Lower-triangular L with L L^T = a (row-major k x k), or nil when a pivot is not above
    /// `minimumPivot` (a numerically singular matrix: its solution would be huge weights that cancel, and
    /// rounding them to fp16 would break the cancellation).
    static func cholesky(_ a: [Double], _ k: Int, minimumPivot: Double = 0) -> [Double]? {
        var l = [Double](repeating: 0, count: k * k)
        for j in 0..<k {
            var d = a[j * k + j]
            for p in 0..<j { d -= l[j * k + p] * l[j * k + p] }
            guard d > minimumPivot, d > 0, d.isFinite else { return nil }
            let root = d.squareRoot()
            l[j * k + j] = root
            for i in (j + 1)..<max(j + 1, k) {
                var s = a[i * k + j]
                for p in 0..<j { s -= l[i * k + p] * l[j * k + p] }
                l[i * k + j] = s / root
            }
        }
        return l
    }

    /// Solves L L^T X = B for the m columns of B (row-major k x m).
    static func solve(_ l: [Double], _ k: Int, _ b: [Double], _ m: Int) -> [Double] {
        var x = b
        for c in 0..<m {
            for i in 0..<k {  // forward: L y = b
                var s = x[i * m + c]
                for p in 0..<i { s -= l[i * k + p] * x[p * m + c] }
                x[i * m + c] = s / l[i * k + i]
            }
            for i in stride(from: k - 1, through: 0, by: -1) {  // back: L^T x = y
                var s = x[i * m + c]
                for p in (i + 1)..<max(i + 1, k) { s -= l[p * k + i] * x[p * m + c] }
                x[i * m + c] = s / l[i * k + i]
            }
        }
        return x
    }

    /// Fit statistics of coefficients `beta` ((k+1) x m) on the accumulated rows, from the Gram matrices:
    /// the residual `sum (T - X~ B)^2 = sum T^2 - 2 tr(B^T C) + tr(B^T G B)`, the total sum of squares about
    /// each target column's mean, and the target's sum of squares.
    public func statistics(_ beta: [Double]) -> (residual: Double, total: Double, sumSquares: Double) {
        let k = inputs + 1, m = targets
        var residual = 0.0, total = 0.0, squares = 0.0
        for c in 0..<m {
            var bc = 0.0, bgb = 0.0
            for i in 0..<k {
                bc += beta[i * m + c] * cross[i * m + c]
                var gb = 0.0
                for j in 0..<k { gb += gram[i * k + j] * beta[j * m + c] }
                bgb += beta[i * m + c] * gb
            }
            residual += sumT2[c] - 2 * bc + bgb
            total += sumT2[c] - sumT[c] * sumT[c] / Double(rows)
            squares += sumT2[c]
        }
        return (max(residual, 0), max(total, 0), squares)
    }
}
