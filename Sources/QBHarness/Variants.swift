import QBQuant

/// A variant of a model: its name, what it is, and the quantization method that makes it (nil: the FP32
/// model as trained, the reference).
public struct VariantDef: Sendable {
    public var name: String
    public var summary: String
    public var method: QuantMethod?
    /// Mixed precision: a candidate per layer under a budget (then `method` is nil).
    public var mixed: MixedDef? = nil
    /// QwT's compensation on top of the base variant.
    public var qwt: QwTSettings? = nil

    public init(name: String, summary: String, method: QuantMethod?, mixed: MixedDef? = nil, qwt: QwTSettings? = nil) {
        self.name = name
        self.summary = summary
        self.method = method
        self.mixed = mixed
        self.qwt = qwt
    }

    public var isQuantized: Bool { method != nil || mixed != nil }

    /// The nominal bits per weight of the method's codes (the measured figure comes from the serialized file).
    public var bitsPerWeight: Double {
        if let mixed, case .bitsPerWeight(let b) = mixed.budget { return b }
        return method?.nominalBits ?? 32
    }
}

/// A mixed-precision variant: the candidates (names of single-method variants, costliest first), the
/// budget, the sensitivity metric and samples, and which allocation is deployed.
public struct MixedDef: Sendable {
    public var candidates: [String]
    public var budget: Budget
    public var metric: Sensitivity.Metric = .sqnr
    /// Calibration samples for the sensitivities (the paper: about 128).
    public var samples: Int = 128
    /// Deploy the exact optimum instead of the greedy front's point.
    public var optimal: Bool = false

    public static let defaultCandidates = ["int8", "w6a8", "w4a8", "w4a4", "fgq-n4", "pow2-5"]
}

/// The table of variants the harness loops over (like ggml's type traits). Mixed precision and QwT (the
/// next issue) add their entries here.
public enum Variants {
    public static let all: [VariantDef] = [
        VariantDef(name: "fp32", summary: "the model as trained (reference)", method: nil),
        VariantDef(
            name: "int8",
            summary:
                "Jacob et al. 2018: W8 symmetric per channel, A8 asymmetric per tensor, max calibration, integer "
                + "kernels",
            method: .int8(Int8Settings())),
        VariantDef(
            name: "int8-pt", summary: "int8 with one weight scale per tensor (the paper's choice)",
            method: .int8(Int8Settings(perChannel: false))),
        VariantDef(
            name: "int8-pct", summary: "int8, activation ranges at the 99.99th percentile",
            method: .int8(Int8Settings(calibration: .percentile))),
        VariantDef(
            name: "int8-mse", summary: "int8, activation ranges minimizing the quantization MSE",
            method: .int8(Int8Settings(calibration: .mse))),
        VariantDef(
            name: "int8-kl", summary: "int8, activation ranges by TensorRT's entropy (KL) calibration",
            method: .int8(Int8Settings(calibration: .entropy))),
        VariantDef(
            name: "w8", summary: "int8 weights only (per channel), float activations",
            method: .int8(Int8Settings(weightOnly: true))),
        VariantDef(
            name: "w6a6", summary: "the int8 scheme at 6-bit weights and 6-bit activations",
            method: .int8(Int8Settings(weightBits: 6, activationBits: 6))),
        VariantDef(
            name: "w6a8", summary: "the int8 scheme at 6-bit weights, 8-bit activations",
            method: .int8(Int8Settings(weightBits: 6))),
        VariantDef(
            name: "w4a8", summary: "the int8 scheme at 4-bit weights (packed 2 per byte), 8-bit activations",
            method: .int8(Int8Settings(weightBits: 4))),
        VariantDef(
            name: "w4a4", summary: "the int8 scheme at 4-bit weights and 4-bit activations",
            method: .int8(Int8Settings(weightBits: 4, activationBits: 4))),
        VariantDef(
            name: "fgq-n4",
            summary: "FGQ ternary (Mellempudi et al. 2017), groups of 4 input channels, exact threshold, A8",
            method: .ternary(TernarySettings(groupSize: 4))),
        VariantDef(
            name: "fgq-n4-a4", summary: "FGQ ternary, groups of 4, A4",
            method: .ternary(TernarySettings(groupSize: 4, activationBits: 4))),
        VariantDef(
            name: "fgq-n4-twn", summary: "FGQ ternary, groups of 4, TWN threshold 0.7 mean|W|, A8",
            method: .ternary(TernarySettings(groupSize: 4, threshold: .twn))),
        VariantDef(
            name: "fgq-n64",
            summary: "FGQ ternary, groups of 64, "
                + "A8", method: .ternary(TernarySettings(groupSize: 64))),
        VariantDef(
            name: "fgq-n64-b3", summary: "FGQ ternary, groups of 64, codes packed 5 per byte (1.6 bits)",
            method: .ternary(TernarySettings(groupSize: 64, base3: true))),
        VariantDef(
            name: "fgq-layer", summary: "ternary with one group per layer (TWN-like), A8",
            method: .ternary(TernarySettings(groupSize: nil))),
        VariantDef(
            name: "pow2-5",
            summary: "Focused Quantization (Zhao et al. 2019): 5-bit power-of-two, recentralized where separated, A8",
            method: .shift(ShiftSettings(bits: 5))),
        VariantDef(name: "pow2-7", summary: "Focused Quantization, 7-bit", method: .shift(ShiftSettings(bits: 7))),
        VariantDef(
            name: "pow2-5-plain", summary: "5-bit power-of-two shift quantization without recentralization",
            method: .shift(ShiftSettings(bits: 5, recentralize: false))),
        VariantDef(
            name: "fq-5-s50", summary: "Focused Quantization, 5-bit, 50% of weights pruned by magnitude, Huffman-coded",
            method: .shift(ShiftSettings(bits: 5, sparsity: 0.5))),
        VariantDef(
            name: "fq-5-s80",
            summary: "Focused Quantization, 5-bit, 80% pruned (the paper prunes then fine-tunes; we do not)",
            method: .shift(ShiftSettings(bits: 5, sparsity: 0.8))),
        VariantDef(
            name: "mp-b6",
            summary:
                "mixed precision (Pandey et al. 2023): int8/W6A8/W4A8/W4A4/FGQ/pow2-5 per layer, 6 serialized bits "
                + "per weight on average, greedy front",
            method: nil, mixed: MixedDef(candidates: MixedDef.defaultCandidates, budget: .bitsPerWeight(6))),
        VariantDef(
            name: "mp-b6-opt",
            summary:
                "mixed precision, 6 bits per weight, the exact optimum of the predicted noise (dynamic programming)",
            method: nil,
            mixed: MixedDef(candidates: MixedDef.defaultCandidates, budget: .bitsPerWeight(6), optimal: true)),
        VariantDef(
            name: "mp-b5", summary: "mixed precision, 5 bits per weight on average, greedy front",
            method: nil, mixed: MixedDef(candidates: MixedDef.defaultCandidates, budget: .bitsPerWeight(5))),
        VariantDef(
            name: "mp-b5-opt",
            summary:
                "mixed precision, 5 bits per weight, the exact optimum of the predicted noise (dynamic programming)",
            method: nil,
            mixed: MixedDef(candidates: MixedDef.defaultCandidates, budget: .bitsPerWeight(5), optimal: true)),
        VariantDef(
            name: "mp-r60", summary: "mixed precision, 60% of the int8 layers' serialized bytes, greedy front",
            method: nil, mixed: MixedDef(candidates: MixedDef.defaultCandidates, budget: .relativeBytes(0.6))),
        VariantDef(
            name: "mp-bops35", summary: "mixed precision, 35% of W8A8's bit operations, greedy front",
            method: nil, mixed: MixedDef(candidates: MixedDef.defaultCandidates, budget: .relativeBOPs(0.35))),
    ]

    static let byName: [String: VariantDef] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
    public static let fp32 = byName["fp32"]!

    /// A variant by name: an entry of the table, or any quantized entry followed by `+qwt` (QwT's
    /// compensation on top of it, Fu et al. 2025).
    public static func named(_ name: String) -> VariantDef? {
        if let v = byName[name] { return v }
        if name.hasSuffix("+qwt"), var base = byName[String(name.dropLast(4))], base.isQuantized {
            base.name = name
            base.summary =
                "QwT (Fu et al. 2025) on top of " + base.name.dropLast(4) + ": a linear compensation per residual block"
            base.qwt = QwTSettings()
            return base
        }
        return nil
    }

    /// The names `named` accepts, for error messages.
    public static var names: String { all.map(\.name).joined(separator: ", ") + " (and any quantized one + \"+qwt\")" }
}
