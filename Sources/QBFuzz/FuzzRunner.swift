import Foundation

/// Runs one target on mutated inputs for a time budget. Before each execution the input is written to the
/// `current` file (kept open; rewritten in place), so when an input crashes or hangs the process, the
/// script that started it still has the input to keep as a regression test.
public struct FuzzRunner {
    public struct Summary: Codable, Sendable {
        public var target: String
        public var seeds: Int
        public var executions: Int
        public var seconds: Double
        /// Executions that ended in a thrown error (the expected outcome of most mutations).
        public var rejected: Int
        /// The distinct error messages' first words (type and kind), with counts: what the inputs reached.
        public var errorKinds: [String: Int]
    }

    public let target: FuzzTargets.Target
    public let seeds: [[UInt8]]

    public init(target: FuzzTargets.Target, seeds: [[UInt8]]) {
        self.target = target
        self.seeds = seeds
    }

    public func run(seconds: Double, seed: UInt64, current: String?) -> Summary {
        var mutator = Mutator(seed: seed)
        let fd: Int32 = current.map { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) } ?? -1
        defer { if fd >= 0 { close(fd) } }
        var summary = Summary(
            target: target.name, seeds: seeds.count, executions: 0, seconds: 0, rejected: 0, errorKinds: [:])
        let start = Date()
        // The seeds themselves first, then mutations until the budget is spent.
        var i = 0
        while true {
            if i % 16 == 0 && Date().timeIntervalSince(start) >= seconds { break }
            let input = i < seeds.count ? seeds[i] : mutator.mutate(seeds)
            i += 1
            if fd >= 0 {
                _ = ftruncate(fd, 0)
                _ = input.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            }
            do {
                try target.run(Data(input))
            } catch {
                summary.rejected += 1
                summary.errorKinds[Self.kind(error), default: 0] += 1
            }
            summary.executions += 1
        }
        summary.seconds = Date().timeIntervalSince(start)
        return summary
    }

    /// "Type.kind" of an error (the type name and its first words), to see which checks the inputs reached.
    static func kind(_ error: Error) -> String {
        let type = String(describing: Swift.type(of: error))
        // "file[:line][:column]: reason": the reason's first three words.
        let parts = String(describing: error).split(separator: ":", omittingEmptySubsequences: false)
        let reason = parts.dropFirst().drop { Int($0.trimmingCharacters(in: .whitespaces)) != nil }.joined(
            separator: ":")
        return "\(type): " + reason.split(separator: " ").prefix(3).joined(separator: " ")
    }
}
