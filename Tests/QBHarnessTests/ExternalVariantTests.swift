import Foundation
import QBEngine
@testable import QBHarness
import QBTestSupport
import Testing

/// External variants: an ONNX file quantized elsewhere (here onnxruntime's QOperator and QDQ files of fmnist-resnet,
/// `scripts/make_ort_variants.py`) measured beside the table's variants, with its source, size and quantized share.
@Suite("External ONNX variants in a suite", .serialized)
struct ExternalVariantTests {
    static let qop = "Models/fmnist-resnet/ort-int8-qop.onnx"
    static let qdq = "Models/fmnist-resnet/ort-int8-qdq.onnx"

    @Test("a suite lists table names and external files side by side; bad external entries are refused")
    func parsing() throws {
        let text = """
            {"name": "x", "models": [{"model": "Models/fmnist-resnet", "variants": ["fp32", "int8",
             {"name": "ort-qop", "model": "\(Self.qop)", "note": "onnxruntime"}]}]}
            """
        let suite = try Suite.parse(Data(text.utf8), file: "x.json")
        #expect(suite.models[0].variants == ["fp32", "int8", "ort-qop"])
        #expect(suite.models[0].externalVariant("ort-qop")?.model == Self.qop)
        #expect(suite.models[0].externalVariant("int8") == nil)
        // Encoding writes the same list back.
        let again = try Suite.parse(try JSONEncoder().encode(suite), file: "again.json")
        #expect(again.models[0].external == suite.models[0].external)
        let bad = [
            (#"{"name": "int8", "model": "a.onnx"}"#, "must have a name of its own"),
            (#"{"name": "x", "model": "a.qbqm"}"#, "must name an .onnx file"),
            (#"{"model": "a.onnx"}"#, "not a valid suite"),
        ]
        for (item, words) in bad {
            let json = #"{"name": "x", "models": [{"model": "m", "variants": ["fp32", "# + item + "]}]}"
            #expect {
                _ = try Suite.parse(Data(json.utf8), file: "bad.json")
            } throws: { error in "\(error)".contains(words) && "\(error)".contains("bad.json") }
        }
    }

    @Test("external variants run on the card's data with their own size, source and quantized share")
    func runs() throws {
        let root = Fixtures.packageRoot.path
        var entry = Suite.Entry(
            model: "Models/fmnist-resnet", variants: ["fp32", "int8", "ort-qop", "ort-qdq"], limit: 300,
            calibration: 32)
        entry.external = [
            .init(name: "ort-qop", model: Self.qop, note: "QOperator"), .init(name: "ort-qdq", model: Self.qdq),
        ]
        var runner = SuiteRunner(root: root, options: SessionOptions(threads: 2))
        runner.measureKernels = false
        let results = try runner.run(Suite(name: "external", description: nil, models: [entry]))
        let rows = Dictionary(uniqueKeysWithValues: results.rows.map { ($0.variant, $0) })
        for name in ["ort-qop", "ort-qdq"] {
            let row = try #require(rows[name])
            let file = name == "ort-qop" ? Self.qop : Self.qdq
            let bytes = try #require(
                (try FileManager.default.attributesOfItem(atPath: root + "/" + file))[.size] as? NSNumber)
            #expect(row.metrics["model_bytes"] == bytes.doubleValue)
            #expect(row.samples == 300 && row.kind == .classification)
            #expect(row.source?.contains(file) == true)
            // Every Conv and the Gemm read int8 codes: all the weights and all the MACs are quantized.
            #expect(row.metrics["quantized_weights"] == 1)
            #expect(row.metrics["quantized_macs"] == 1)
            #expect((row.metrics["top1"] ?? 0) > 0.85)
            #expect(row.metrics["model_speedup"] == nil)
        }
        #expect(rows["ort-qop"]?.source?.contains("QOperator") == true)
        // The table's int8 quantizes every Conv and the Gemm too; FP32 has no quantized share.
        #expect(rows["int8"]?.metrics["quantized_macs"] == 1)
        #expect(rows["fp32"]?.metrics["quantized_macs"] == nil)
        let report = ReportWriter.markdown(results, gate: nil)
        #expect(report.contains("External variants") && report.contains(Self.qop))
    }

    @Test("a missing external file is an error naming the file and the variant")
    func missingFile() throws {
        var entry = Suite.Entry(model: "Models/fmnist-resnet", variants: ["fp32", "gone"], limit: 10, calibration: 8)
        entry.external = [.init(name: "gone", model: "Models/fmnist-resnet/nowhere.onnx")]
        var runner = SuiteRunner(root: Fixtures.packageRoot.path, options: SessionOptions(threads: 2))
        runner.measureKernels = false
        #expect {
            _ = try runner.run(Suite(name: "missing", description: nil, models: [entry]))
        } throws: { error in "\(error)".contains("nowhere.onnx") && "\(error)".contains("\"gone\"") }
    }
}
