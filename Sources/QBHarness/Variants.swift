import QBEngine

/// A variant of a model: its name, its bits per weight, and how it turns the FP32 graph into the graph
/// that runs (quantizing weights, inserting fake-quantization, or replacing kernels).
public struct VariantDef: Sendable {
    public var name: String
    public var bitsPerWeight: Double
    public var summary: String
    public var prepare: @Sendable (Graph) throws -> Graph
}

/// The table of variants the harness loops over (like ggml's type traits). FP32 is the reference; the
/// quantizers (int8, FGQ ternary, power-of-two, mixed precision, QwT) add their entries as they land.
public enum Variants {
    public static let fp32 = VariantDef(name: "fp32", bitsPerWeight: 32, summary: "the model as trained (reference)", prepare: { $0 })

    public static let table: [String: VariantDef] = [fp32.name: fp32]
}
