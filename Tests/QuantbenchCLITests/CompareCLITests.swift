import Foundation
import QBTestSupport
import Testing

/// `quantbench compare` on two runs that differ by an injected fault of known size: `QB_FAULT=labels` moves every
/// 10th evaluation label to the next class, so the samples the runs disagree on are among those, and the candidate
/// is significantly worse (exit 2); two clean runs are not (exit 0).
@Suite(
    "compare on runs with an injected fault", .serialized,
    .enabled(if: Subprocess.isDebugBuild, "QB_FAULT is honoured only by debug builds; this is a release build"))
struct CompareCLITests {
    struct Comparison: Decodable {
        struct Entry: Decodable {
            var model: String, variant: String, metric: String, test: String?, pValue: Double?, detail: String?
            var significant: Bool
        }
        var entries: [Entry]
    }

    struct Results: Decodable {
        struct Row: Decodable {
            var model: String, variant: String, samples: Int, outcomes: String?
        }
        var rows: [Row]
    }

    static func bits(_ text: String, _ count: Int) -> [Bool] {
        let bytes = [UInt8](Data(base64Encoded: text) ?? Data())
        return (0..<count).map { $0 / 8 < bytes.count && bytes[$0 / 8] & (1 << UInt8($0 % 8)) != 0 }
    }

    @Test("shifted labels: the discordant samples are every 10th; McNemar's p is significant; exit 2")
    func injected() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = Fixtures.packageRoot.path
        let (clean, again, faulty) = (dir.path + "/a", dir.path + "/b", dir.path + "/c")
        for (folder, environment) in [(clean, [String: String]()), (again, [:]), (faulty, ["QB_FAULT": "labels"])] {
            let run = try runQuantbench(
                ["run", "Suites/smoke.json", "--root", root, "--reports", folder, "--cache", dir.path + "/cache"],
                environment: environment)
            #expect(run.status == 0 || run.status == 2, "\(run.stdout) \(run.stderr)")
        }
        let same = try runQuantbench(["compare", clean + "/smoke.json", again + "/smoke.json"])
        #expect(same.status == 0 && same.stdout.contains("not significantly worse"), "\(same.stdout) \(same.stderr)")
        let output = dir.path + "/compare.json"
        let worse = try runQuantbench([
            "compare", clean + "/smoke.json", faulty + "/smoke.json", "--format", "json", "--output", output,
        ])
        #expect(worse.status == 2, "\(worse.stdout) \(worse.stderr)")
        let comparison = try JSONDecoder().decode(Comparison.self, from: Data(contentsOf: URL(fileURLWithPath: output)))
        let top1 = try #require(
            comparison.entries.first { $0.model == "fmnist-resnet" && $0.variant == "fp32" && $0.metric == "top1" })
        #expect(top1.test == "mcnemar-exact" && top1.significant, "\(top1)")
        // Only every 10th sample can differ, and each that differs was right before the fault moved its label.
        let a = try JSONDecoder().decode(
            Results.self, from: Data(contentsOf: URL(fileURLWithPath: clean + "/smoke.json")))
        let c = try JSONDecoder().decode(
            Results.self, from: Data(contentsOf: URL(fileURLWithPath: faulty + "/smoke.json")))
        let rowA = try #require(a.rows.first { $0.model == "fmnist-resnet" && $0.variant == "fp32" })
        let rowC = try #require(c.rows.first { $0.model == "fmnist-resnet" && $0.variant == "fp32" })
        let (bitsA, bitsC) = (
            Self.bits(rowA.outcomes ?? "", rowA.samples), Self.bits(rowC.outcomes ?? "", rowC.samples)
        )
        let discordant = (0..<rowA.samples).filter { bitsA[$0] != bitsC[$0] }
        #expect(!discordant.isEmpty && discordant.allSatisfy { $0 % 10 == 0 }, "\(discordant)")
        let onlyA = discordant.filter { bitsA[$0] }.count
        #expect(top1.detail == "only A right \(onlyA), only B right \(discordant.count - onlyA)")
    }
}
