import CKernels

/// How the process keeps memory it frees. The engine allocates each tensor anew; with glibc's defaults,
/// blocks above 128 KiB are mapped and unmapped on every allocation (and the heap top is trimmed), so each
/// large tensor is page-faulted in and zeroed by the kernel again: that cost up to a third of a small CNN's
/// run. Raising the thresholds makes freed blocks reusable, as onnxruntime's arena does (qb_memory.c).
public enum MemoryPolicy {
    /// Applies the policy; true when it took effect (glibc), false where it does not apply or was refused.
    @discardableResult
    public static func keepFreedMemory() -> Bool { qb_keep_freed_memory() == 1 }
}
