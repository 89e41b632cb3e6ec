import CKernels
import Dispatch
import Foundation

/// Parallel loops whose results never depend on the thread count: each work item writes only its own
/// output, so any schedule gives the same bytes. Items are claimed dynamically (a shared counter), so
/// uneven items (a large photo beside small ones) keep every worker busy. Workers run with the caller's
/// kernel ISA cap (`KernelISA.capped`).
public enum Parallel {
    /// Runs `body(i)` for `i` in `0..<count` on up to `workers` threads.
    public static func forEach(count: Int, workers: Int, _ body: @Sendable (Int) -> Void) {
        let w = max(1, min(workers, count))
        if w == 1 {
            for i in 0..<count { body(i) }
            return
        }
        let next = Counter()
        let cap = qb_isa_thread_cap()
        DispatchQueue.concurrentPerform(iterations: w) { _ in
            let previous = qb_isa_set_thread_cap(cap)
            defer { _ = qb_isa_set_thread_cap(previous) }
            while true {
                let i = next.take()
                if i >= count { break }
                body(i)
            }
        }
    }

    /// A locked counter handing out 0, 1, 2, ...
    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0

        func take() -> Int {
            lock.lock()
            defer { lock.unlock() }
            let v = value
            value += 1
            return v
        }
    }
}

/// A read-only pointer handed to parallel workers.
public struct SharedConstPointer<Element>: @unchecked Sendable {
    public let pointer: UnsafePointer<Element>

    public init(_ pointer: UnsafePointer<Element>) { self.pointer = pointer }
}

/// A mutable pointer handed to parallel workers that write disjoint elements.
public struct SharedPointer<Element>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<Element>

    public init(_ base: UnsafeMutablePointer<Element>) {
        self.base = base
    }
}
