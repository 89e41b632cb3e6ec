import ArgumentParser
import Foundation
import QBEngine
import QBIngest
import QBMetrics
import QBQuant
import QBTensor

/// `quantbench bench ingest`: decode + preprocess throughput, for `scripts/bench_ingest.py`, which runs
/// it side by side with Pillow.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Throughput benchmarks (run in release builds).",
        subcommands: [Ingest.self, Gemm.self, Kernels.self, Layers.self, Model.self])

    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Decode + preprocess every image of a folder, several rounds; print images per second as JSON lines.")

        @Argument(help: "A folder of images (unlabeled) or an ImageFolder.")
        var path: String

        @Option(help: "Preprocessing preset.")
        var preset: String = "imagenet"

        @OptionGroup var threadOptions: ThreadOptions
        var threads: Int { threadOptions.threads }

        @Option(help: "Rounds to time.")
        var rounds: Int = 5

        @Option(help: "Passes over the folder per round.")
        var passes: Int = 4

        @Flag(name: .customLong("no-dct-scaling"), help: "Decode at full size.")
        var noDCTScaling = false

        func run() throws {
            try CLI.guarded {
                guard let p = Preprocessing.presets[preset] else { throw ValidationError("unknown preset \(preset)") }
                let location = try DatasetLocation.locate(path)
                let dataset: ImageDataset
                switch location {
                case .imageFolder(let f): dataset = try ImageDataset.imageFolder(f)
                case .unlabeledFolder(let f): dataset = try ImageDataset.unlabeledFolder(f)
                default: throw ValidationError("\(path) is not an image folder")
                }
                let loader = try ImageSetLoader(
                    decoder: ImageDecoder(options: DecodeOptions(dctScaling: !noDCTScaling)),
                    preprocessing: p, threads: threads, batchSize: max(dataset.samples.count, threads))
                var fingerprint = ""
                _ = try loader.summarize(dataset)  // warm-up (page cache, allocator)
                for round in 0..<rounds {
                    let start = DispatchTime.now().uptimeNanoseconds
                    for _ in 0..<passes { fingerprint = try loader.summarize(dataset).fingerprint }
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    let images = dataset.samples.count * passes
                    print(
                        "{\"tool\":\"quantbench\",\"round\":\(round),\"threads\":\(threads),\"images\":\(images),"
                            + "\"seconds\":\(seconds),\"images_per_second\":\(Double(images) / seconds),"
                            + "\"fingerprint\":\"\(fingerprint)\"}"
                    )
                }
            }
        }
    }

    struct Gemm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "FP32 GEMM throughput (square sizes), median GFLOP/s of several repetitions, as JSON lines.")

        @Option(help: "Comma-separated sizes.")
        var sizes: String = "256,512,1024"

        @OptionGroup var threadOptions: ThreadOptions
        var threads: Int { threadOptions.threads }

        @OptionGroup var repetitionOptions: RepetitionOptions
        var reps: Int { repetitionOptions.reps }

        @OptionGroup var isaOptions: ISAOptions

        func run() throws {
            isaOptions.apply()
            for size in sizes.split(separator: ",").compactMap({ Int($0) }) {
                let a = (0..<(size * size)).map { Float(($0 * 7) % 13) / 13 - 0.5 }
                let b = (0..<(size * size)).map { Float(($0 * 5) % 11) / 11 - 0.5 }
                var c = [Float](repeating: 0, count: size * size)
                var times = [Double]()
                for rep in 0...reps {
                    let start = DispatchTime.now().uptimeNanoseconds
                    let multiplied = a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            c.withUnsafeMutableBufferPointer { pc in
                                GEMM.multiply(
                                    m: size, n: size, k: size, a: pa.baseAddress!, aRow: size, aCol: 1,
                                    b: pb.baseAddress!, bRow: size, bCol: 1,
                                    c: pc.baseAddress!, ldc: size, threads: threads)
                            }
                        }
                    }
                    guard multiplied else {
                        throw EngineError(
                            .limit, file: "bench gemm", "the packing buffers for \(size)^3 could not be allocated")
                    }
                    if rep > 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
                }
                let median = times.sorted()[times.count / 2]
                print(
                    "{\"tool\":\"quantbench\",\"size\":\(size),\"threads\":\(threads),"
                        + "\"gflops\":\(2 * Double(size * size * size) / median / 1e9),\"avx2\":\(GEMM.usesAVX2)}"
                )
            }
        }
    }

    struct Kernels: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "The variants' kernels (\(KernelBench.kinds.joined(separator: ", "))) on GEMM shapes: median GOP/s, "
                + "as JSON lines (2 ops per multiply-accumulate of the dense layer)."
        )

        @Option(help: "Comma-separated shapes ROWSxCOLSxDEPTH (weight rows, output positions, weights per row).")
        var shapes: String = "1024x1024x1024"

        @Option(help: "Model folders whose layers' shapes (one calibration batch of 64) are added.")
        var model: [String] = []

        @Option(help: "Kernels, comma-separated.")
        var kernels: String = KernelBench.kinds.joined(separator: ",")
        @OptionGroup var benchmark: BenchmarkOptions
        var threads: Int { benchmark.threads }
        var reps: Int { benchmark.reps }
        var root: String { benchmark.root }

        func run() throws {
            benchmark.isaOptions.apply()
            try CLI.guarded {
                var list = [(name: String, rows: Int, cols: Int, depth: Int)]()
                for s in shapes.split(separator: ",") {
                    let d = s.split(separator: "x").compactMap { Int($0) }
                    guard d.count == 3, d.allSatisfy({ $0 > 0 }) else {
                        throw ValidationError("bad shape \(s): use ROWSxCOLSxDEPTH")
                    }
                    list.append(("\(s)", d[0], d[1], d[2]))
                }
                for folder in model {
                    let session = try Session(
                        modelPath: folder + "/model.onnx", options: SessionOptions(threads: threads))
                    let feeds = try CalibrationSet.feeds(
                        folder: folder, root: root, samples: 64, input: session.inputs[0].name
                    ).feeds
                    let name = URL(fileURLWithPath: folder).lastPathComponent
                    list += try KernelBench.shapes(of: session, feeds: feeds[0]).map {
                        ("\(name):\($0.name)", $0.rows, $0.cols, $0.depth)
                    }
                }
                for shape in list {
                    for kind in kernels.split(separator: ",").map(String.init) {
                        let t = try KernelBench.seconds(
                            kind: kind, rows: shape.rows, cols: shape.cols, depth: shape.depth, threads: threads,
                            reps: reps)
                        let gops = 2 * Double(shape.rows) * Double(shape.cols) * Double(shape.depth) / t / 1e9
                        print(
                            "{\"tool\":\"quantbench\",\"shape\":\"\(shape.name)\",\"kernel\":\"\(kind)\","
                                + "\"rows\":\(shape.rows),\"cols\":\(shape.cols),\"depth\":\(shape.depth),"
                                + "\"threads\":\(threads),\"gops\":\(gops)}"
                        )
                    }
                }
            }
        }
    }

    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End-to-end latency of one model on one input (.npy), median of several runs, as a JSON line.")

        @Argument(help: "The ONNX model.")
        var model: String

        @Option(help: "The input .npy.")
        var input: String

        @OptionGroup var threadOptions: ThreadOptions
        var threads: Int { threadOptions.threads }

        @Option(help: "Timed runs.")
        var runs: Int = 20

        @Flag(help: "Also print the time per operator type (from the executor's hook).")
        var profile = false

        @OptionGroup var isaOptions: ISAOptions

        func run() throws {
            isaOptions.apply()
            try CLI.guarded {
                let session = try Session(modelPath: model, options: SessionOptions(optimize: true, threads: threads))
                let x = try NPYFile.read(input)
                let feeds = [session.inputs[0].name: x]
                _ = try session.run(feeds)
                var times = [Double]()
                for _ in 0..<runs {
                    let start = DispatchTime.now().uptimeNanoseconds
                    _ = try session.run(feeds)
                    times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                let median = times.sorted()[times.count / 2]
                print("{\"tool\":\"quantbench\",\"model\":\"\(model)\",\"threads\":\(threads),\"ms\":\(median)}")
                if profile {
                    var perOp = [String: Double]()
                    var perNode = [String: (ms: Double, what: String)]()
                    for _ in 0..<runs {
                        var last = DispatchTime.now().uptimeNanoseconds
                        _ = try session.run(feeds) { name, node, value in
                            let now = DispatchTime.now().uptimeNanoseconds
                            let ms = Double(now - last) / 1e6 / Double(runs)
                            perOp[node.opType, default: 0] += ms
                            perNode[node.label, default: (0, "\(node.opType) -> \(value.signature)")].ms += ms
                            last = now
                            return nil
                        }
                    }
                    for (op, ms) in perOp.sorted(by: { $0.value > $1.value }) {
                        print(String(format: "  %-20@ %8.3f ms", op, ms))
                    }
                    print("  slowest nodes:")
                    for (label, entry) in perNode.sorted(by: { $0.value.ms > $1.value.ms }).prefix(40) {
                        print(String(format: "  %8.3f ms  %@  %@", entry.ms, label, entry.what))
                    }
                }
            }
        }
    }
}
