/// A dense, row-major Float32 tensor: the currency between ingestion, the engine and the metrics.
///
/// Storage is a plain `[Float]`; `shape` lists the dimensions outermost first (e.g. `[N, C, H, W]`).
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var storage: [Float]

    /// Creates a tensor; `storage.count` must equal the product of `shape`.
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(
            shape.reduce(1, *) == storage.count,
            "shape \(shape) needs \(shape.reduce(1, *)) elements, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// A zero-filled tensor of the given shape.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, storage: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// The number of elements.
    public var count: Int { storage.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The little-endian IEEE-754 bytes of the elements, in storage order (used for fingerprints).
    public func littleEndianBytes() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: storage.count * 4)
        out.withUnsafeMutableBytes { raw in
            storage.withUnsafeBufferPointer { src in
                for i in 0..<src.count {
                    raw.storeBytes(of: src[i].bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                }
            }
        }
        return out
    }
}
