import Foundation
import QBEngine
import QBHarness
import QBIngest

/// The readers of untrusted files, as fuzz targets: each takes arbitrary bytes and must either return or
/// throw its typed error; a trap, a crash or a hang is a finding. Limits are set small so that a mutated
/// header cannot make a target allocate the machine's memory (the limits themselves are what is tested).
public enum FuzzTargets {
    public struct Target: Sendable {
        public let name: String
        /// Where the seed corpus comes from: folders relative to the project, and the file name endings taken.
        public let seedFolders: [String]
        public let seedEndings: [String]
        public let run: @Sendable (Data) throws -> Void
    }

    static let engineLimits: EngineLimits = {
        var l = EngineLimits()
        l.maxModelBytes = 1 << 24
        l.maxTensorElements = 1 << 22
        l.maxNodes = 10_000
        l.maxLoopIterations = 1_000
        return l
    }()

    public static let all: [Target] = [
        Target(
            name: "image", seedFolders: ["Tests/Fixtures/images", "Tests/Fixtures/bad"], seedEndings: [".jpg", ".png"]
        ) { data in
            // JPEG and PNG through the C shim: full size, and the DCT-scaled (draft) path.
            let decoder = ImageDecoder(options: DecodeOptions(maxPixels: 1 << 22))
            _ = try? decoder.decode(data, name: "fuzz.jpg")
            _ = try decoder.decode(data, name: "fuzz.png", draftTarget: (width: 56, height: 56))
        },
        Target(name: "onnx", seedFolders: ["Tests/Fixtures/onnx"], seedEndings: [".onnx"]) { data in
            // The loader, then the graph checker, shape inference and the optimizer (constant folding runs operators).
            let graph = try ModelLoader.load(data, file: "fuzz.onnx", limits: engineLimits)
            var options = SessionOptions(optimize: true, threads: 1)
            options.limits = engineLimits
            _ = try Session(graph: graph, options: options)
        },
        Target(name: "onnx-ops", seedFolders: ["Tests/Fixtures/onnx-ops"], seedEndings: [".onnx"]) { data in
            // One-node models of the newer operators (control flow, Resize, recurrent cells, quantized and
            // com.microsoft operators, losses): their attributes parsed by the checker, then a run on zeros of the
            // declared shapes where they are small and fixed.
            let graph = try ModelLoader.load(data, file: "fuzz-ops.onnx", limits: engineLimits)
            var options = SessionOptions(optimize: false, threads: 1)
            options.limits = engineLimits
            let session = try Session(graph: graph, options: options)
            var feeds = [String: Value]()
            for input in session.inputs {
                guard let type = input.type, let dims = input.shape?.map(\.value), dims.allSatisfy({ $0 != nil }),
                    dims.reduce(1, { $0 * $1! }) <= 4096
                else { return }
                let shape = dims.map { $0! }, count = shape.reduce(1, *)
                feeds[input.name] =
                    type.isFloat
                    ? Value(type: type, shape: shape, storage: .float(Array(repeating: 0, count: count)))
                    : Value(type: type, shape: shape, ints: Array(repeating: 0, count: count))
            }
            _ = try session.run(feeds)
        },
        Target(name: "csv", seedFolders: ["Tests/Fixtures/text"], seedEndings: [".csv"]) { data in
            _ = try CSVReader(file: "fuzz.csv").parse([UInt8](data))
        },
        Target(name: "jsonl", seedFolders: ["Tests/Fixtures/text"], seedEndings: [".jsonl"]) { data in
            _ = try JSONLinesReader(file: "fuzz.jsonl").parse([UInt8](data))
        },
        Target(name: "suite", seedFolders: ["Suites"], seedEndings: [".json"]) { data in
            _ = try Suite.parse(data, file: "fuzz-suite.json")
        },
        Target(name: "baseline", seedFolders: ["Baselines"], seedEndings: [".json"]) { data in
            _ = try BaselineFile.parse(data, file: "fuzz-baseline.json")
        },
        Target(name: "results", seedFolders: ["Reports"], seedEndings: ["default.json"]) { data in
            _ = try SuiteResults.parse(data, file: "fuzz-results.json")
        },
        Target(name: "npy", seedFolders: ["Tests/Fixtures/onnx", "Tests/Fixtures/qwt"], seedEndings: [".npy"]) { data in
            _ = try NPYFile.parse([UInt8](data), file: "fuzz.npy", maxElements: 1 << 22)
        },
        Target(name: "idx", seedFolders: ["Tests/Fixtures/idx"], seedEndings: ["-ubyte"]) { data in
            _ = try IDXFile(bytes: [UInt8](data), file: "fuzz-idx")
        },
    ]

    public static func named(_ name: String) -> Target? { all.first { $0.name == name } }

    /// The seed files of a target under `root`, sorted (a deterministic corpus).
    public static func seeds(_ target: Target, root: String) -> [URL] {
        var out = [URL]()
        for folder in target.seedFolders {
            let dir = URL(fileURLWithPath: root).appendingPathComponent(folder)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            for n in names.sorted() where target.seedEndings.contains(where: { n.hasSuffix($0) }) {
                out.append(dir.appendingPathComponent(n))
            }
        }
        return out
    }
}
