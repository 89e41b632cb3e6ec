import ArgumentParser
import Foundation
import QBIngest
import QBTensor

/// `quantbench bench ingest`: decode + preprocess throughput, for `scripts/bench_ingest.py`, which runs
/// it side by side with Pillow.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Throughput benchmarks (run in release builds).", subcommands: [Ingest.self])

    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode + preprocess every image of a folder, several rounds; print images per second as JSON lines.")

        @Argument(help: "A folder of images (unlabeled) or an ImageFolder.")
        var path: String

        @Option(help: "Preprocessing preset.")
        var preset: String = "imagenet"

        @Option(help: "Threads.")
        var threads: Int = ProcessInfo.processInfo.activeProcessorCount

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
                let loader = try ImageSetLoader(decoder: ImageDecoder(options: DecodeOptions(dctScaling: !noDCTScaling)),
                                                preprocessing: p, threads: threads, batchSize: max(dataset.samples.count, threads))
                var fingerprint = ""
                _ = try loader.summarize(dataset)   // warm-up (page cache, allocator)
                for round in 0..<rounds {
                    let start = DispatchTime.now().uptimeNanoseconds
                    for _ in 0..<passes { fingerprint = try loader.summarize(dataset).fingerprint }
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    let images = dataset.samples.count * passes
                    print("{\"tool\":\"quantbench\",\"round\":\(round),\"threads\":\(threads),\"images\":\(images),\"seconds\":\(seconds),\"images_per_second\":\(Double(images) / seconds),\"fingerprint\":\"\(fingerprint)\"}")
                }
            }
        }
    }
}
