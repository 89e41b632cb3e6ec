import Foundation
import QBTestSupport
import Testing

/// The gate can fail: a suite run with a deliberate fault (debug builds honour QB_FAULT) must exit 2 and
/// name the regressed metric; the same run without the fault passes against the same baseline.
@Suite(
    "The gate fails on injected regressions", .serialized,
    .enabled(if: Subprocess.isDebugBuild, "QB_FAULT is honoured only by debug builds; this is a release build"))
struct GateInjectionTests {
    @Test("perturbed weights, int8 rounding toward zero, shifted labels: exit 2 naming the metric; restored: exit 0")
    func injected() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let suite = dir.appendingPathComponent("inj.json").path
        try Data(
            (#"{"name": "inj", "models": [{"model": "Models/fmnist-resnet", "variants": ["fp32", "int8"], "#
                + #""limit": 1000, "calibration": 32}]}"#)
                .utf8
        )
        .write(to: URL(fileURLWithPath: suite))
        let root = Fixtures.packageRoot.path, reports = dir.appendingPathComponent("r").path,
            baseline = dir.appendingPathComponent("Baselines/inj.json").path
        // The clean run, and its baseline (1,000 samples: the evaluation set is grouped by class, so a short prefix is
        // one or two classes).
        let clean = try runQuantbench([
            "run", suite, "--root", root, "--reports", reports, "--baseline",
            dir.appendingPathComponent("none.json").path,
        ])
        #expect(clean.status == 4, "no baseline yet: \(clean.stdout) \(clean.stderr)")
        let record = try runQuantbench(["baseline", "record", "--results", reports + "/inj.json", "--root", dir.path])
        #expect(
            record.status == 0 && FileManager.default.fileExists(atPath: baseline), "\(record.stdout) \(record.stderr)")
        // Each fault: exit 2, a REGRESSION line naming the variant and metric it hit.
        for (fault, hit) in [("weights", "[fp32] top1"), ("rounding", "[int8] agreement"), ("labels", "[fp32] top1")] {
            let run = try runQuantbench(
                ["run", suite, "--root", root, "--reports", reports, "--baseline", baseline],
                environment: ["QB_FAULT": fault])
            #expect(run.status == 2, "\(fault): exit \(run.status)\n\(run.stdout)\n\(run.stderr)")
            #expect(
                run.stdout.contains("REGRESSION: Models/fmnist-resnet \(hit)")
                    || run.stdout.contains("REGRESSION: fmnist-resnet \(hit)"),
                "\(fault) should regress \(hit):\n\(run.stdout)")
        }
        // Restored: the same run passes.
        let again = try runQuantbench(["run", suite, "--root", root, "--reports", reports, "--baseline", baseline])
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
    }
}

/// A writer killed at any point leaves the old file or the complete new one.
@Suite(
    "Atomic writes survive a kill", .serialized,
    .enabled(if: Subprocess.isDebugBuild, "QB_FAULT is honoured only by debug builds; this is a release build"))
struct KillTests {
    @Test("baseline record killed mid-write or before the rename leaves the old file; after the rename, the new one")
    func killed() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A finished run's results under another suite name, so the baseline goes to <dir>/Baselines/killtest.json.
        var results =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: Fixtures.packageRoot.appendingPathComponent("Reports/default.json")))
            as! [String: Any]
        results["suite"] = "killtest"
        let resultsPath = dir.appendingPathComponent("results.json").path
        try JSONSerialization.data(withJSONObject: results).write(to: URL(fileURLWithPath: resultsPath))
        try FileManager.default.createDirectory(
            at: dir.appendingPathComponent("Baselines"), withIntermediateDirectories: true)
        let target = dir.appendingPathComponent("Baselines/killtest.json")
        let old = Data("the old baseline\n".utf8)
        for fault in ["kill-mid-write", "kill-before-rename"] {
            try old.write(to: target)
            let run = try runQuantbench(
                ["baseline", "record", "--results", resultsPath, "--root", dir.path], environment: ["QB_FAULT": fault])
            #expect(run.status == SIGKILL, "\(fault): the writer was to be killed (status \(run.status))")
            #expect(try Data(contentsOf: target) == old, "\(fault): the old file must survive")
        }
        try old.write(to: target)
        let after = try runQuantbench(
            ["baseline", "record", "--results", resultsPath, "--root", dir.path],
            environment: ["QB_FAULT": "kill-after-rename"])
        #expect(after.status == SIGKILL)
        let written = try Data(contentsOf: target)
        let clean = try runQuantbench(["baseline", "record", "--results", resultsPath, "--root", dir.path])
        #expect(clean.status == 0, "\(clean.stdout) \(clean.stderr)")
        #expect(written == (try Data(contentsOf: target)), "killed after the rename: the complete new file")
    }
}
