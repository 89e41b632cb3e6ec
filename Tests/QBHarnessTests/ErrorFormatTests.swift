import Foundation
import QBEngine
@testable import QBHarness
import QBIngest
import QBMetrics
import QBQuant
import QBTensor
import QBTestSupport
import Testing

/// Every phase's error prints one way, `FILE[:LINE]: KIND: REASON`, through `LocatedError`.
@Suite("Errors: one format for every phase")
struct ErrorFormatTests {
    @Test("ingest, engine, quantization and harness errors all print FILE[:LINE]: KIND: REASON")
    func oneFormat() {
        let errors: [any LocatedError] = [
            IngestError(.badCSV, file: "set.csv", line: 3, "2 fields, expected 3"),
            EngineError(.unsupported, file: "m.onnx", node: "node 'n' (LSTM)", "unsupported operator"),
            QuantError(.corruptFile, file: "m.qbqm", layer: "conv1", "corrupt weight payload"),
            HarnessError(.badBaseline, file: "Baselines/x.json", line: 7, "listed twice"),
        ]
        #expect(
            errors.map(\.description) == [
                "set.csv:3: malformed CSV: 2 fields, expected 3",
                "m.onnx: unsupported: node 'n' (LSTM): unsupported operator",
                "m.qbqm: corrupt file: layer 'conv1': corrupt weight payload",
                "Baselines/x.json:7: bad baseline: listed twice",
            ])
    }

    @Test("a model card without its task names the file, the line and the key, not the decoder's text")
    func cardWithoutTask() throws {
        let folder = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = Fixtures.packageRoot.appendingPathComponent("Models/fmnist-resnet/card.json")
        var card = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: source)) as? [String: Any])
        card["task"] = nil
        let data = try JSONSerialization.data(withJSONObject: card, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: folder.appendingPathComponent("card.json"))
        #expect {
            _ = try ModelCard.load(folder.path)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(folder.path + "/card.json:") && text.contains(": malformed JSON: bad model card: ")
                && text.contains("missing \"task\"") && !text.contains("DecodingError")
        }
    }
}
