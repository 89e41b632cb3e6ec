import Dispatch

/// Static-partition parallel loops. Work item `i` always goes to worker `i % workers` and each item
/// writes only its own output, so results never depend on the thread count or on scheduling.
public enum Parallel {
    /// Runs `body(i)` for `i` in `0..<count` on up to `workers` threads.
    public static func forEach(count: Int, workers: Int, _ body: @Sendable (Int) -> Void) {
        let w = max(1, min(workers, count))
        if w == 1 {
            for i in 0..<count { body(i) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: w) { worker in
            var i = worker
            while i < count {
                body(i)
                i += w
            }
        }
    }
}

/// A mutable pointer handed to parallel workers that write disjoint elements.
public struct SharedPointer<Element>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Element>

    public init(_ base: UnsafeMutablePointer<Element>) {
        self.base = base
    }
}
