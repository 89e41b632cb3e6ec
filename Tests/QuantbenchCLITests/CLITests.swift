import Foundation
import QBTestSupport
import Testing

/// Runs the built `quantbench` binary from the package root (`swift test` builds it).
func runQuantbench(_ arguments: [String], environment: [String: String] = [:]) throws -> Subprocess.Outcome {
    guard let binary = Subprocess.quantbench() else {
        Issue.record("quantbench binary not found beside the tests or in .build/debug; `swift test` builds it")
        throw CancellationError()
    }
    return try Subprocess.run(binary, arguments, directory: Fixtures.packageRoot, environment: environment)
}

@Suite("The quantbench command line", .serialized)
struct CLITests {
    @Test("decode prints the format and writes Pillow's RGB8 pixels")
    func decode() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("x.rgb").path
        let r = try runQuantbench(["decode", Fixtures.path("images/jpeg_cmyk.jpg"), "--raw", out])
        #expect(r.status == 0)
        #expect(r.stdout.contains("format: jpeg"))
        #expect(r.stdout.contains("channels: 4 (cmyk)"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == Data(try Fixtures.bytes("images/jpeg_cmyk.rgb")))
    }

    @Test("a bad file exits 1 with one line naming it, and writes no output")
    func badFile() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("x.rgb").path
        let bad = Fixtures.path("bad/truncated.png")
        let r = try runQuantbench(["decode", bad, "--raw", out])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("error: \(bad): truncated data:"))
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "no temporary file left behind")
    }

    @Test("dataset inspect on an IDX pair and a usage error")
    func inspect() throws {
        let r = try runQuantbench([
            "dataset", "inspect", Fixtures.path("idx/fmnist-test-first100-images-idx3-ubyte.gz"), "--threads", "1",
        ])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("count: 100"))
        #expect(r.stdout.contains("fingerprint: sha256:"))
        let usage = try runQuantbench(["dataset", "inspect", "x", "--preset", "nope"])
        #expect(usage.status == 64)
        let missing = try runQuantbench(["dataset", "inspect", "/no/such/set"])
        #expect(missing.status == 1 && missing.stderr.contains("/no/such/set"))
    }
}

@Suite("The gate on the command line", .serialized)
struct GateCLITests {
    @Test("quantbench gate exits 0 on the committed results and 2 on a regressed copy, naming the metric")
    func gateExitCodes() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let results = Fixtures.packageRoot.appendingPathComponent("Reports/default.json").path
        let ok = try runQuantbench(["gate", results, "--reports", dir.path])
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        var json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: results))) as? [String: Any])
        var rows = try #require(json["rows"] as? [[String: Any]])
        var metrics = try #require(rows[0]["metrics"] as? [String: Any])
        metrics["top1"] = 0.5
        rows[0]["metrics"] = metrics
        json["rows"] = rows
        let bad = dir.appendingPathComponent("bad.json")
        try JSONSerialization.data(withJSONObject: json).write(to: bad)
        let regressed = try runQuantbench(["gate", bad.path, "--reports", dir.path])
        #expect(regressed.status == 2)
        #expect(regressed.stdout.contains("REGRESSION") && regressed.stdout.contains("top1"))
        let broken = dir.appendingPathComponent("broken.json")
        try Data("{".utf8).write(to: broken)
        #expect(try runQuantbench(["gate", broken.path, "--reports", dir.path]).status == 1)
    }
}
