import QBTensor

/// A tensor flowing through the engine: element type, shape and storage (Float32 for floating
/// types, Int64 for integer and boolean types).
public struct Value: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case float([Float])
        case int([Int64])
    }

    public var type: DataType
    public var shape: [Int]
    public var storage: Storage

    public init(type: DataType, shape: [Int], storage: Storage) {
        self.type = type
        self.shape = shape
        self.storage = storage
    }

    /// A Float32 tensor.
    public init(shape: [Int], floats: [Float]) {
        precondition(shape.reduce(1, *) == floats.count, "shape \(shape) vs \(floats.count) elements")
        self.init(type: .float, shape: shape, storage: .float(floats))
    }

    /// An integer (or boolean) tensor.
    public init(type: DataType = .int64, shape: [Int], ints: [Int64]) {
        precondition(shape.reduce(1, *) == ints.count, "shape \(shape) vs \(ints.count) elements")
        self.init(type: type, shape: shape, storage: .int(ints))
    }

    /// A Float32 value from a QBTensor tensor.
    public init(_ tensor: Tensor) {
        self.init(shape: tensor.shape, floats: tensor.storage)
    }

    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }

    /// The Float32 elements (integers converted).
    public var floats: [Float] {
        switch storage {
        case .float(let f): return f
        case .int(let i): return i.map { Float($0) }
        }
    }

    /// The integer elements (floats truncated toward zero).
    public var ints: [Int64] {
        switch storage {
        case .int(let i): return i
        case .float(let f):
            return f.map { $0.isFinite ? Int64(clamping: Int64(exactly: $0.rounded(.towardZero)) ?? 0) : 0 }
        }
    }

    /// The value as a QBTensor tensor (Float32).
    public var tensor: Tensor { Tensor(shape: shape, storage: floats) }

    /// A short description: `float32[1, 3, 224, 224]`.
    public var signature: String { "\(type)\(shape)" }
}
