import Foundation
@testable import QBIngest
import QBTestSupport
import Testing

@Suite("Data sets: formats, order, bad samples and fingerprints")
struct DatasetTests {
    static let fmnist = Fixtures.dataset("fashion-mnist-test-200")

    @Test("the embedded Fashion-MNIST ImageFolder: 10 classes of 200, sorted by name")
    func imageFolder() throws {
        let set = try ImageDataset.imageFolder(Self.fmnist)
        #expect(set.samples.count == 2000)
        #expect(set.classes.first == "0_tshirt_top" && set.classes.last == "9_ankle_boot")
        #expect(set.classCounts == [Int](repeating: 200, count: 10))
        #expect(set.samples.map(\.name) == set.samples.map(\.name).sorted { ($0 < $1) })
    }

    @Test("PNG ImageFolder and IDX give the same tensors for the same Fashion-MNIST images")
    func pngEqualsIDX() throws {
        // The first image of class 9 in the test set is test image 0 (an ankle boot).
        let folder = try ImageDataset.imageFolder(Self.fmnist)
        let idx = try ImageDataset.idx(
            images: Fixtures.path("idx/fmnist-test-first100-images-idx3-ubyte"),
            labels: Fixtures.path("idx/fmnist-test-first100-labels-idx1-ubyte"))
        let loader = try ImageSetLoader(preprocessing: .fmnist)
        let pngIndex = try #require(folder.samples.firstIndex { $0.name.hasSuffix("9_ankle_boot/00000.png") })
        var a = [Float](repeating: 0, count: 784), b = a
        try a.withUnsafeMutableBufferPointer { try loader.load(folder, index: pngIndex, into: $0) }
        try b.withUnsafeMutableBufferPointer { try loader.load(idx, index: 0, into: $0) }
        #expect(a == b)
        #expect(idx.samples[0].label == 9)
    }

    @Test("tensors and fingerprint are identical for 1 and 2 threads and any batch size")
    func determinism() throws {
        let set = try ImageDataset.imageFolder(Self.fmnist)
        var results = [(String, [Float])]()
        for (threads, batch) in [(1, 64), (2, 64), (2, 7)] {
            let loader = try ImageSetLoader(preprocessing: .fmnist, threads: threads, batchSize: batch)
            var all = [Float]()
            let summary = try loader.forEachBatch(set, limit: 300) { all += $0.tensor.storage }
            #expect(summary.loaded == 300)
            results.append((summary.fingerprint, all))
        }
        #expect(Set(results.map(\.0)).count == 1)
        #expect(results[0].1 == results[1].1 && results[1].1 == results[2].1)
    }

    @Test("the fingerprint changes with the data, the preprocessing and the DCT-scaling choice")
    func fingerprintSensitivity() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(
            atPath: Fixtures.path("images/photo_dct.jpg"), toPath: dir.appendingPathComponent("p.jpg").path)
        let photos = try ImageDataset.unlabeledFolder(dir.path)
        func fp(_ p: Preprocessing, dct: Bool) throws -> String {
            try ImageSetLoader(decoder: ImageDecoder(options: DecodeOptions(dctScaling: dct)), preprocessing: p)
                .summarize(photos).fingerprint
        }
        var small = Preprocessing.imagenet
        small.size = 56
        let base = try fp(small, dct: true)
        #expect(try fp(small, dct: true) == base)
        #expect(try fp(small, dct: false) != base)
        var other = small
        other.filter = .bicubic
        #expect(try fp(other, dct: true) != base)
        let set = try ImageDataset.imageFolder(Self.fmnist)
        let a = try ImageSetLoader(preprocessing: .fmnist).summarize(set, limit: 10).fingerprint
        let b = try ImageSetLoader(preprocessing: .fmnist).summarize(set, limit: 11).fingerprint
        #expect(a != b)
    }

    /// A temporary ImageFolder with good images, a corrupt one and a text file.
    func messyFolder() throws -> URL {
        let dir = try Fixtures.temporaryDirectory()
        let fm = FileManager.default
        for cls in ["cat", "dog"] {
            try fm.createDirectory(at: dir.appendingPathComponent(cls), withIntermediateDirectories: true)
        }
        try fm.copyItem(
            atPath: Fixtures.path("images/jpeg_baseline_420.jpg"), toPath: dir.appendingPathComponent("cat/a.jpg").path)
        try fm.copyItem(
            atPath: Fixtures.path("bad/truncated.png"), toPath: dir.appendingPathComponent("cat/b.png").path)
        try fm.copyItem(
            atPath: Fixtures.path("images/png_rgb8.png"), toPath: dir.appendingPathComponent("dog/c.png").path)
        try Data("not an image".utf8).write(to: dir.appendingPathComponent("dog/notes.txt"))
        try Data("hidden".utf8).write(to: dir.appendingPathComponent("dog/.DS_Store"))
        return dir
    }

    @Test("bad samples: fail fast with the file named, or skip, count and list them")
    func badSamples() throws {
        let dir = try messyFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let set = try ImageDataset.imageFolder(dir.path)
        #expect(set.samples.count == 4, "hidden files are not samples")
        var p = Preprocessing.imagenet
        p.size = 16
        do {
            try ImageSetLoader(preprocessing: p).summarize(set)
            Issue.record("fail-fast passed over a corrupt file")
        } catch let e as IngestError {
            #expect(e.file.hasSuffix("cat/b.png") && e.kind == .truncated)
        }
        var labels = [Int]()
        let summary = try ImageSetLoader(preprocessing: p, policy: .skip).forEachBatch(set) { labels += $0.labels }
        #expect(summary.loaded == 2 && summary.bad.count == 2)
        #expect(summary.bad.map(\.index) == [1, 3])
        #expect(summary.bad[1].error.kind == .unknownFormat && summary.bad[1].error.file.hasSuffix("notes.txt"))
        #expect(labels == [0, 1], "labels stay with their images after a skip")
    }

    @Test("a symbolic-link loop ends; a dangling link is a missing file, not a silent skip")
    func links() throws {
        let dir = try messyFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        try fm.createSymbolicLink(
            atPath: dir.appendingPathComponent("cat/loop").path,
            withDestinationPath: dir.appendingPathComponent("cat").path)
        try fm.createSymbolicLink(
            atPath: dir.appendingPathComponent("dog/gone.png").path, withDestinationPath: "/no/such/file.png")
        let set = try ImageDataset.imageFolder(dir.path)
        #expect(set.samples.count == 5)
        var p = Preprocessing.imagenet
        p.size = 16
        let summary = try ImageSetLoader(preprocessing: p, policy: .skip).summarize(set)
        #expect(summary.bad.contains { $0.error.kind == .missingFile && $0.error.file.hasSuffix("dog/gone.png") })
    }

    @Test("manifests in CSV and JSON Lines; unknown labels and missing files")
    func manifests() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let img = Fixtures.path("images")
        try Data("path,label\n\(img)/jpeg_gray.jpg,b\n\(img)/png_rgb8.png,a\n".utf8).write(
            to: dir.appendingPathComponent("m.csv"))
        try Data(
            ("{\"path\": \"\(img)/jpeg_gray.jpg\", \"label\": \"b\"}\n{\"path\": \"\(img)/png_rgb8.png\", \"label\": "
                + "\"a\"}\n").utf8
        )
        .write(to: dir.appendingPathComponent("m.jsonl"))
        let csv = try ImageDataset.manifest(dir.appendingPathComponent("m.csv").path)
        let jsonl = try ImageDataset.manifest(dir.appendingPathComponent("m.jsonl").path)
        #expect(csv.classes == ["a", "b"] && csv.samples.map(\.label) == [1, 0])
        #expect(jsonl.samples == csv.samples)
        #expect(throws: IngestError.self) {
            try ImageDataset.manifest(dir.appendingPathComponent("m.csv").path, declaredClasses: ["a"])
        }
        try Data("path,label\nnot-there.png,a\n".utf8).write(to: dir.appendingPathComponent("gone.csv"))
        let gone = try ImageDataset.manifest(dir.appendingPathComponent("gone.csv").path)
        do {
            try ImageSetLoader(preprocessing: .fmnist).summarize(gone)
            Issue.record("missing file passed")
        } catch let e as IngestError {
            #expect(e.kind == .missingFile && e.file == dir.appendingPathComponent("not-there.png").path)
        }
    }

    @Test("locating a data set by what it is")
    func locate() throws {
        #expect(try DatasetLocation.locate(Self.fmnist) == .imageFolder(Self.fmnist))
        let idx = Fixtures.path("idx/fmnist-test-first100-images-idx3-ubyte.gz")
        #expect(
            try DatasetLocation.locate(idx)
                == .idx(images: idx, labels: Fixtures.path("idx/fmnist-test-first100-labels-idx1-ubyte.gz")))
        let foods = Fixtures.dataset("fine-foods/test.csv")
        #expect(try DatasetLocation.locate(foods) == .labeledText(foods))
        #expect(throws: IngestError.self) { try DatasetLocation.locate("/no/such/place") }
    }

    @Test("inspecting text sets: counts, classes, fingerprints")
    func inspectText() throws {
        var s = IngestSettings()
        s.textColumn = "review"
        s.labelColumn = "score"
        s.declaredClasses = ["great", "other"]
        s.vocabulary = Fixtures.dataset("vocab/minilm-vocab.txt")
        s.maxLength = 128
        let report = try DatasetInspector.inspect(Fixtures.dataset("fine-foods/test.csv"), settings: s)
        #expect(report.count == 1000)
        #expect(report.classes.map(\.count) == [658, 342])
        s.maxLength = 64
        #expect(
            try DatasetInspector.inspect(Fixtures.dataset("fine-foods/test.csv"), settings: s).fingerprint
                != report.fingerprint)
    }
}
