import Foundation
import QBFuzz

/// `qbfuzz`: the fuzz targets of `scripts/fuzz.py` (not part of CI's default path).
///   qbfuzz list
///   qbfuzz run TARGET --seconds S [--seed N] [--root DIR] [--current FILE]   -> one JSON line (FuzzRunner.Summary)
///   qbfuzz replay TARGET FILE...                                              -> each file: "ok" or the error it threw
/// A trap ends the process (the script records the input in --current as a finding).
func usage() -> Never {
    FileHandle.standardError.write(
        Data(
            ("usage: qbfuzz list | run TARGET --seconds S [--seed N] [--root DIR] [--current FILE] | replay TARGET "
                + "FILE...\n").utf8))
    exit(64)
}

let all = Array(CommandLine.arguments.dropFirst())
guard let command = all.first else { usage() }
let args = Array(all.dropFirst())
func option(_ name: String) -> String? {
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

switch command {
case "list":
    for t in FuzzTargets.all { print(t.name) }
case "run":
    guard let name = args.first, let target = FuzzTargets.named(name),
        let seconds = option("--seconds").flatMap(Double.init)
    else { usage() }
    let root = option("--root") ?? "."
    let seeds = FuzzTargets.seeds(target, root: root).compactMap { try? [UInt8](Data(contentsOf: $0)) }
    guard !seeds.isEmpty else {
        FileHandle.standardError.write(
            Data("qbfuzz: no seed files for \(name) under \(root) (\(target.seedFolders))\n".utf8))
        exit(1)
    }
    let summary = FuzzRunner(target: target, seeds: seeds).run(
        seconds: seconds, seed: option("--seed").flatMap(UInt64.init) ?? 1, current: option("--current"))
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    print(String(decoding: try encoder.encode(summary), as: UTF8.self))
case "replay":
    guard let name = args.first, let target = FuzzTargets.named(name) else { usage() }
    for file in args.dropFirst() {
        guard let data = FileManager.default.contents(atPath: file) else {
            print("\(file): cannot read")
            continue
        }
        do {
            try target.run(data)
            print("\(file): ok")
        } catch { print("\(file): \(error)") }
    }
default:
    usage()
}
