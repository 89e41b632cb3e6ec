import Foundation
import QBTestSupport
import Testing

/// `quantbench init` then `quantbench run` on a model and data outside the repository: the card, the suite, the
/// FP32 figure, and clear errors when the task cannot be inferred or the data do not fit the input.
@Suite("quantbench init: a model outside the zoo", .serialized)
struct InitCLITests {
    /// A folder outside the repository with a model file, an evaluation set and a calibration set (IDX pairs).
    static func workspace() throws -> URL {
        let dir = try Fixtures.temporaryDirectory()
        let fm = FileManager.default
        let root = Fixtures.packageRoot
        try fm.createDirectory(at: dir.appendingPathComponent("data"), withIntermediateDirectories: true)
        try fm.copyItem(
            at: root.appendingPathComponent("Models/fmnist-resnet/model.onnx"),
            to: dir.appendingPathComponent("garments.onnx"))
        for (from, to) in [
            ("Tests/Fixtures/idx/fmnist-test-first100-images-idx3-ubyte.gz", "data/eval-images-idx3-ubyte.gz"),
            ("Tests/Fixtures/idx/fmnist-test-first100-labels-idx1-ubyte.gz", "data/eval-labels-idx1-ubyte.gz"),
            ("Datasets/fashion-mnist-calib-512/images-idx3-ubyte.gz", "data/calib-images-idx3-ubyte.gz"),
            ("Datasets/fashion-mnist-calib-512/labels-idx1-ubyte.gz", "data/calib-labels-idx1-ubyte.gz"),
        ] {
            try fm.copyItem(at: root.appendingPathComponent(from), to: dir.appendingPathComponent(to))
        }
        return dir
    }

    @Test("init writes the card (sha256, opset, preset, FP32 measured) and a suite that quantbench run runs")
    func initThenRun() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = try runQuantbench([
            "init", dir.path + "/garments.onnx", "--data", dir.path + "/data/eval-images-idx3-ubyte.gz",
            "--calibration", dir.path + "/data/calib-images-idx3-ubyte.gz", "--preset", "fmnist", "--root", dir.path,
        ])
        #expect(out.status == 0, "\(out.stdout)\n\(out.stderr)")
        #expect(out.stdout.contains("task: classification") && out.stdout.contains("FP32 top-1"), "\(out.stdout)")
        let card = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: dir.appendingPathComponent("Models/garments/card.json"))) as? [String: Any])
        let onnx = try #require(card["onnx"] as? [String: Any])
        #expect((onnx["sha256"] as? String)?.count == 64 && onnx["opset"] as? Int == 17)
        let eval = try #require(card["eval"] as? [String: Any])
        #expect(eval["dataset"] as? String == "data/eval-images-idx3-ubyte.gz" && eval["preset"] as? String == "fmnist")
        let fp32 = try #require((card["fp32"] as? [String: Any])?["quantbench"] as? [String: Any])
        #expect(fp32["count"] as? Int == 100)
        let suite = dir.path + "/Suites/garments.json"
        let run = try runQuantbench(["run", suite, "--root", dir.path, "--reports", dir.path + "/Reports"])
        // No baseline yet: exit 4, with every variant's row in the report.
        #expect(run.status == 4, "\(run.stdout)\n\(run.stderr)")
        let report = try String(contentsOfFile: dir.path + "/Reports/garments.md", encoding: .utf8)
        for variant in ["fp32", "int8", "w8", "fgq-n4", "pow2-5"] { #expect(report.contains("| \(variant) |")) }
    }

    @Test("init refuses, naming the file and reason: data that do not fit, a task the model cannot do")
    func refusals() throws {
        let dir = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.path + "/garments.onnx", data = dir.path + "/data/eval-images-idx3-ubyte.gz"
        let cases: [([String], String)] = [
            (["--preset", "imagenet"], "do not fit the input"),
            (["--task", "lm"], "--task lm needs an int64"),
            (["--size", "32", "--channels", "1", "--mean", "0", "--std", "1"], "the model's height is 28"),
        ]
        for (extra, words) in cases {
            let out = try runQuantbench(["init", model, "--data", data, "--root", dir.path] + extra)
            #expect(out.status == 1, "\(extra): \(out.stdout)\n\(out.stderr)")
            #expect(out.stderr.contains(words) && out.stderr.contains("garments.onnx"), "\(extra): \(out.stderr)")
        }
        let text = dir.path + "/data/corpus.txt"
        try Data("some text".utf8).write(to: URL(fileURLWithPath: text))
        let wrongData = try runQuantbench(["init", model, "--data", text, "--root", dir.path])
        #expect(wrongData.status == 1 && wrongData.stderr.contains("needs images"), "\(wrongData.stderr)")
    }
}
