import QBQuant

/// A variant of a model: its name, what it is, and the quantization method that makes it (nil: the FP32
/// model as trained, the reference).
public struct VariantDef: Sendable {
    public var name: String
    public var summary: String
    public var method: QuantMethod?

    /// The nominal bits per weight of the method's codes (the measured figure comes from the serialized file).
    public var bitsPerWeight: Double { method?.nominalBits ?? 32 }
}

/// The table of variants the harness loops over (like ggml's type traits). Mixed precision and QwT (the
/// next issue) add their entries here.
public enum Variants {
    public static let all: [VariantDef] = [
        VariantDef(name: "fp32", summary: "the model as trained (reference)", method: nil),
        VariantDef(name: "int8", summary: "Jacob et al. 2018: W8 symmetric per channel, A8 asymmetric per tensor, max calibration, integer kernels",
                   method: .int8(Int8Settings())),
        VariantDef(name: "int8-pt", summary: "int8 with one weight scale per tensor (the paper's choice)", method: .int8(Int8Settings(perChannel: false))),
        VariantDef(name: "int8-pct", summary: "int8, activation ranges at the 99.99th percentile", method: .int8(Int8Settings(calibration: .percentile))),
        VariantDef(name: "int8-mse", summary: "int8, activation ranges minimizing the quantization MSE", method: .int8(Int8Settings(calibration: .mse))),
        VariantDef(name: "int8-kl", summary: "int8, activation ranges by TensorRT's entropy (KL) calibration", method: .int8(Int8Settings(calibration: .entropy))),
        VariantDef(name: "w8", summary: "int8 weights only (per channel), float activations", method: .int8(Int8Settings(weightOnly: true))),
        VariantDef(name: "w6a6", summary: "the int8 scheme at 6-bit weights and 6-bit activations", method: .int8(Int8Settings(weightBits: 6, activationBits: 6))),
        VariantDef(name: "w4a8", summary: "the int8 scheme at 4-bit weights (packed 2 per byte), 8-bit activations", method: .int8(Int8Settings(weightBits: 4))),
        VariantDef(name: "w4a4", summary: "the int8 scheme at 4-bit weights and 4-bit activations", method: .int8(Int8Settings(weightBits: 4, activationBits: 4))),
        VariantDef(name: "fgq-n4", summary: "FGQ ternary (Mellempudi et al. 2017), groups of 4 input channels, exact threshold, A8",
                   method: .ternary(TernarySettings(groupSize: 4))),
        VariantDef(name: "fgq-n4-a4", summary: "FGQ ternary, groups of 4, A4", method: .ternary(TernarySettings(groupSize: 4, activationBits: 4))),
        VariantDef(name: "fgq-n4-twn", summary: "FGQ ternary, groups of 4, TWN threshold 0.7 mean|W|, A8",
                   method: .ternary(TernarySettings(groupSize: 4, threshold: .twn))),
        VariantDef(name: "fgq-n64", summary: "FGQ ternary, groups of 64, A8", method: .ternary(TernarySettings(groupSize: 64))),
        VariantDef(name: "fgq-n64-b3", summary: "FGQ ternary, groups of 64, codes packed 5 per byte (1.6 bits)",
                   method: .ternary(TernarySettings(groupSize: 64, base3: true))),
        VariantDef(name: "fgq-layer", summary: "ternary with one group per layer (TWN-like), A8", method: .ternary(TernarySettings(groupSize: nil))),
        VariantDef(name: "pow2-5", summary: "Focused Quantization (Zhao et al. 2019): 5-bit power-of-two, recentralized where separated, A8",
                   method: .shift(ShiftSettings(bits: 5))),
        VariantDef(name: "pow2-7", summary: "Focused Quantization, 7-bit", method: .shift(ShiftSettings(bits: 7))),
        VariantDef(name: "pow2-5-plain", summary: "5-bit power-of-two shift quantization without recentralization",
                   method: .shift(ShiftSettings(bits: 5, recentralize: false))),
        VariantDef(name: "fq-5-s50", summary: "Focused Quantization, 5-bit, 50% of weights pruned by magnitude, Huffman-coded",
                   method: .shift(ShiftSettings(bits: 5, sparsity: 0.5))),
        VariantDef(name: "fq-5-s80", summary: "Focused Quantization, 5-bit, 80% pruned (the paper prunes then fine-tunes; we do not)",
                   method: .shift(ShiftSettings(bits: 5, sparsity: 0.8))),
    ]

    public static let table: [String: VariantDef] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
    public static let fp32 = table["fp32"]!
}
