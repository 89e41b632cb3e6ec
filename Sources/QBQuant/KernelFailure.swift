import CKernels

/// A C kernel's failure (its status code), named by the layer that ran it (`PatchRunner.run`).
struct KernelFailure: Error {
    let reason: String

    /// Throws for a negative status of the C kernel `name`: QB_NO_MEMORY, or the kernel refusing its tables.
    static func check(_ status: Int32, _ name: String) throws {
        guard status < 0 else { return }
        if status == QB_NO_MEMORY { throw KernelFailure(reason: "\(name): its buffers could not be allocated") }
        throw KernelFailure(reason: "\(name) refused the layer's packed tables (status \(status))")
    }
}
