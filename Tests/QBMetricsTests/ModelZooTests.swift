import Foundation
import QBEngine
import QBMetrics
import QBTestSupport
import Testing

/// The committed models of Models/: the engine reproduces, on the committed evaluation sets, the FP32
/// figures their training scripts measured with onnxruntime (and PyTorch): the same sample counts and the same
/// totals of correct samples (totals, not a sample-by-sample comparison).
@Suite("The model zoo's FP32 figures, reproduced by the engine", .serialized)
struct ModelZooTests {
    static let models = Fixtures.packageRoot.appendingPathComponent("Models").path

    /// The card's fp32 figures as loose JSON.
    func fp32(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.models + "/\(name)/card.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(json["fp32"] as? [String: Any])
    }

    @Test(
        "image classifiers: the same number correct as onnxruntime on the 2,000-image subset",
        arguments: ["fmnist-resnet", "fmnist-mobilenet"])
    func imageClassifiers(_ name: String) throws {
        let subset = try #require(try fp32(name)["test_200_per_class"] as? [String: Any])
        guard
            case .classification(let result) = try CardEvaluation.run(
                folder: Self.models + "/" + name, root: Fixtures.packageRoot.path)
        else {
            Issue.record("not a classification")
            return
        }
        #expect(result.count == subset["count"] as? Int)
        #expect(result.correct == subset["onnxruntime_correct"] as? Int, "\(name): engine \(result.correct)")
        #expect(result.correct == subset["pytorch_correct"] as? Int)
    }

    @Test("text classifier: the same number correct as onnxruntime on the 1,000 test reviews")
    func textClassifier() throws {
        let test = try #require(try fp32("finefoods-transformer")["test_1000"] as? [String: Any])
        guard
            case .classification(let result) = try CardEvaluation.run(
                folder: Self.models + "/finefoods-transformer", root: Fixtures.packageRoot.path)
        else {
            Issue.record("not a classification")
            return
        }
        #expect(result.count == 1000)
        #expect(result.correct == test["onnxruntime_correct"] as? Int, "engine \(result.correct)")
    }

    @Test("language model: the same perplexity as onnxruntime on the first 256 windows of Persuasion")
    func languageModel() throws {
        // The whole book (3,647 windows) takes minutes in a debug build: `quantbench model eval Models/austen-lm`
        // reproduces that figure; the test takes the card's figure for the first 256 windows.
        let held = try #require(try fp32("austen-lm")["persuasion_first_256_windows"] as? [String: Any])
        guard
            case .perplexity(let result) = try CardEvaluation.run(
                folder: Self.models + "/austen-lm", root: Fixtures.packageRoot.path, limit: 256)
        else {
            Issue.record("not a perplexity")
            return
        }
        let expected = try #require(held["onnxruntime_perplexity"] as? Double)
        #expect(result.windows == held["windows"] as? Int)
        #expect(
            abs(result.perplexity - expected) / expected < 1e-5,
            "engine \(result.perplexity) vs onnxruntime \(expected)")
    }
}
