import Foundation

/// Merging the results of `run --shard K/N` parts into one run: exact, from the integer tallies.
extension SuiteResults {
    /// Adds shard results up: rows of the same (model, variant) are summed count by count, in the order
    /// the first shard lists them. Refuses shards of different suites, shards whose sample ranges do not
    /// tile each model's set without gap or overlap, and (unless `allowIncomplete`) a missing shard.
    public static func merge(_ parts: [SuiteResults], allowIncomplete: Bool = false) throws -> SuiteResults {
        guard let first = parts.first else { throw HarnessError(.badResults, file: "merge", "no shard results given") }
        guard parts.allSatisfy({ $0.suite == first.suite }) else {
            throw HarnessError(.badResults, file: "merge", "the shards come from different suites")
        }
        var rows = [ResultRow](), gaps = [String]()
        // Every (model, variant) any part has, in the order of first appearance: a row only later shards
        // produced is not dropped.
        var protos = [ResultRow](), seen = Set<String>()
        for part in parts {
            for r in part.rows where seen.insert("\(r.model)|\(r.variant)").inserted { protos.append(r) }
        }
        for proto in protos {
            let mine = parts.flatMap { $0.rows.filter { $0.model == proto.model && $0.variant == proto.variant } }
            let ranges = mine.compactMap(\.range).sorted { $0[0] < $1[0] }
            guard ranges.count == mine.count else {
                throw HarnessError(
                    .badResults, file: "merge",
                    "\(proto.model) [\(proto.variant)]: a part is not a shard (no sample range)")
            }
            func missing(_ what: String) throws {
                let text = "\(proto.model) [\(proto.variant)]: \(what)"
                guard allowIncomplete else { throw HarnessError(.badResults, file: "merge", text) }
                gaps.append(text)
            }
            for (a, b) in zip(ranges, ranges.dropFirst()) where a[1] != b[0] {
                if a[1] > b[0] {
                    throw HarnessError(
                        .badResults, file: "merge",
                        "\(proto.model) [\(proto.variant)]: samples \(b[0])..<\(a[1]) are covered twice")
                }
                try missing("samples \(a[1])..<\(b[0]) are missing (a shard failed or was not given)")
            }
            if let f = ranges.first, f[0] != 0 {
                try missing("samples 0..<\(f[0]) are missing (the first shard was not given)")
            }
            if let last = ranges.last, last.count == 3, last[1] != last[2] {
                try missing("samples \(last[1])..<\(last[2]) are missing (the last shard was not given)")
            }
            if Set(ranges.compactMap { $0.count == 3 ? $0[2] : nil }).count > 1 {
                throw HarnessError(
                    .badResults, file: "merge",
                    "\(proto.model) [\(proto.variant)]: the shards disagree on the number of samples")
            }
            var merged = proto
            merged.counts = [:]
            for part in mine { for (k, v) in part.counts { merged.counts[k, default: 0] += v } }
            merged.samples = mine.reduce(0) { $0 + $1.samples }
            merged.seconds = mine.reduce(0) { $0 + $1.seconds }
            merged.range = nil
            // Per-sample outcomes in sample order (parts sorted by their first sample), only when the parts cover
            // every sample: with a gap, sample i of the merge would not be sample i of the set.
            let ordered = mine.sorted { ($0.range?[0] ?? 0) < ($1.range?[0] ?? 0) }
            let covered =
                ranges.first?[0] == 0 && zip(ranges, ranges.dropFirst()).allSatisfy { $0[1] == $1[0] }
                && ranges.last.map { $0.count < 3 || $0[1] == $0[2] } == true
            merged.outcomes = covered ? SampleOutcomes.concatenate(ordered.map { ($0.outcomes, $0.samples) }) : nil
            merged.windowLoss =
                covered && ordered.allSatisfy({ $0.windowLoss?.count == $0.samples })
                ? ordered.flatMap { $0.windowLoss ?? [] } : nil
            let fingerprints = Set(mine.compactMap(\.fingerprint))
            merged.fingerprint =
                fingerprints.isEmpty
                ? nil : "shards:" + mine.compactMap(\.fingerprint).joined(separator: "+").prefix(200)
            for (k, v) in Counts.metrics(kind: merged.kind, merged.counts) { merged.metrics[k] = v }
            rows.append(merged)
        }
        // A row some part lacks entirely is missing from the shards that did not run it.
        let incomplete = gaps + parts.flatMap { $0.incomplete ?? [] }
        return SuiteResults(
            suite: first.suite, environment: first.environment, rows: rows,
            incomplete: incomplete.isEmpty ? nil : incomplete)
    }
}
