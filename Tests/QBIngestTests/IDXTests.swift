import Crypto
import Foundation
import QBIngest
import QBTestSupport
import Testing

@Suite("IDX files")
struct IDXTests {
    struct Expected: Decodable {
        var count: Int
        var rows: Int
        var cols: Int
        var labels: [Int]
        var images_sha256: String
    }

    @Test("raw and gzip read the same real Fashion-MNIST images", arguments: ["", ".gz"])
    func read(_ suffix: String) throws {
        let expected: Expected = try loadJSONFixture("idx/expected.json")
        let images = try IDXFile(path: Fixtures.path("idx/fmnist-test-first100-images-idx3-ubyte" + suffix))
        #expect(images.dimensions == [expected.count, expected.rows, expected.cols])
        let digest = SHA256.hash(data: images.data).map { String(format: "%02x", $0) }.joined()
        #expect(digest == expected.images_sha256)
        let set = try ImageDataset.idx(
            images: Fixtures.path("idx/fmnist-test-first100-images-idx3-ubyte" + suffix),
            labels: Fixtures.path("idx/fmnist-test-first100-labels-idx1-ubyte" + suffix))
        #expect(set.samples.map(\.label) == expected.labels)
        #expect(set.classes == (0...9).map(String.init))
    }

    @Test("the labels file is found by name")
    func pairing() {
        #expect(ImageDataset.idxLabelsPath(forImages: "/d/t10k-images-idx3-ubyte.gz") == "/d/t10k-labels-idx1-ubyte.gz")
        #expect(ImageDataset.idxLabelsPath(forImages: "/d/other.bin") == nil)
    }

    @Test(
        "malformed IDX data",
        arguments: [
            ([UInt8]([0, 0, 8, 1, 0, 0, 0, 3, 1, 2]), IngestErrorKind.truncated),
            ([0, 0, 8, 1, 0, 0, 0, 1, 1, 2], .corrupt),
            ([0, 0, 9, 1, 0, 0, 0, 1, 1], .unsupported),
            ([1, 0, 8, 1, 0, 0, 0, 1, 1], .unknownFormat),
            ([0, 0, 8, 3, 0, 0], .truncated),
            ([0, 0, 8, 0], .corrupt),
        ])
    func malformed(_ c: ([UInt8], IngestErrorKind)) {
        do {
            _ = try IDXFile(bytes: c.0, file: "x.idx")
            Issue.record("accepted \(c.0)")
        } catch let e as IngestError {
            #expect(e.kind == c.1)
            #expect(e.file == "x.idx")
        } catch {
            Issue.record("untyped error \(error)")
        }
    }

    @Test("corrupt and truncated gzip")
    func badGzip() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let gz = try Fixtures.bytes("idx/fmnist-test-first100-labels-idx1-ubyte.gz")
        let truncated = dir.appendingPathComponent("t-labels-idx1-ubyte.gz").path
        try Data(gz.prefix(gz.count / 2)).write(to: URL(fileURLWithPath: truncated))
        #expect(throws: IngestError.self) { try IDXFile(path: truncated) }
        var flipped = gz
        flipped[gz.count / 2] ^= 0xFF
        let corrupt = dir.appendingPathComponent("c-labels-idx1-ubyte.gz").path
        try Data(flipped).write(to: URL(fileURLWithPath: corrupt))
        do {
            _ = try IDXFile(path: corrupt)
            Issue.record("corrupt gzip accepted")
        } catch let e as IngestError {
            #expect(e.file == corrupt)
        }
    }

    @Test("labels beyond the declared classes")
    func unknownLabel() throws {
        #expect(throws: IngestError.self) {
            try ImageDataset.idx(
                images: Fixtures.path("idx/fmnist-test-first100-images-idx3-ubyte"),
                labels: Fixtures.path("idx/fmnist-test-first100-labels-idx1-ubyte"),
                declaredClasses: ["a", "b"])
        }
    }
}
