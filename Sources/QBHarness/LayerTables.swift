import Foundation

/// The per-model tables under a report's main table: what each quantized variant is (method facts,
/// zeros, multiplications the kernels eliminated) and the SQNR of every quantized layer per variant.
enum LayerTables {
    static func markdown(_ rows: [ResultRow]) -> [String] {
        let quantized = rows.filter { $0.layers != nil }
        guard !quantized.isEmpty else { return [] }
        func f(_ v: Double?, _ digits: Int) -> String { v.map { String(format: "%.\(digits)f", $0) } ?? "-" }
        var lines = [
            "| variant | method | weights zero | multiplications eliminated (kernel counts) | layer facts |",
            "| --- | --- | --- | --- | --- |",
        ]
        for r in quantized {
            let layers = r.layers!
            let weights = layers.reduce(0) { $0 + $1.weights }
            let zeros = layers.reduce(0.0) { $0 + $1.zeros * Double($1.weights) } / Double(max(weights, 1))
            // Facts shared by many layers are counted ("recentralized x 7, plain shift x 3").
            var facts = [String: Int]()
            for l in layers {
                facts[l.detail.split(separator: ",").first.map(String.init) ?? l.detail, default: 0] += 1
            }
            let factText = facts.sorted { $0.key < $1.key }.map { "\($0.key) x \($0.value)" }.joined(separator: "; ")
            lines.append(
                "| \(r.variant) | \(Variants.named(r.variant)?.summary ?? "") | \(f(zeros * 100, 1))% | "
                    + "\(f(r.metrics["mults_eliminated"].map { $0 * 100 }, 1))% | \(factText) |"
            )
        }
        lines.append("")
        let names = quantized[0].layers!.map(\.name)
        lines += ["Per-layer SQNR (dB) of each quantized layer's output against FP32 on the calibration inputs:", ""]
        lines.append("| layer | op | weights | " + quantized.map(\.variant).joined(separator: " | ") + " |")
        lines.append("| --- | --- | --- | " + quantized.map { _ in "---" }.joined(separator: " | ") + " |")
        for (i, name) in names.enumerated() {
            let l = quantized[0].layers![i]
            let cells = quantized.map { r in f(r.layers!.first { $0.name == name }?.sqnr, 1) }
            lines.append("| \(name) | \(l.op) | \(l.weights) | " + cells.joined(separator: " | ") + " |")
        }
        lines.append("")
        return lines
    }
}
