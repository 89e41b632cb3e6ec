import Foundation
import QBIngest
import QBTestSupport
import Testing

@Suite("Bad image input gives typed errors that name the file")
struct BadInputTests {
    /// Decodes a fixture from Tests/Fixtures/bad and returns the error it must raise.
    func failure(_ name: String, options: DecodeOptions = .default) throws -> IngestError {
        let path = Fixtures.path("bad/" + name)
        do {
            let image = try ImageDecoder(options: options).decode(file: path)
            Issue.record("\(name) decoded as \(image.width) x \(image.height) instead of failing")
            throw CancellationError()
        } catch let error as IngestError {
            #expect(error.file == path, "the error names the file")
            #expect(!error.reason.isEmpty)
            return error
        }
    }

    @Test("truncated JPEG is an error, not gray fill")
    func truncatedJPEG() throws {
        let e = try failure("truncated.jpg")
        #expect(e.kind == .truncated)
        #expect(e.reason.contains("Premature end"))
    }

    @Test("entropy data cut short before EOI is an error in strict mode, decodable when lenient")
    func corruptData() throws {
        // Remove the middle third of the entropy-coded data but keep EOI: libjpeg hits the EOI marker
        // with MCUs missing, warns "premature end of data segment" and fills gray.
        var bytes = try Fixtures.bytes("images/jpeg_baseline_420.jpg")
        let sos = try #require((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xDA })
        let dataStart = sos + 2 + Int(bytes[sos + 2]) << 8 + Int(bytes[sos + 3])
        let third = (bytes.count - 2 - dataStart) / 3
        bytes.removeSubrange((dataStart + third)..<(dataStart + 2 * third))
        do {
            _ = try ImageDecoder().decode(Data(bytes), name: "cut.jpg")
            Issue.record("damaged JPEG decoded in strict mode")
        } catch let e as IngestError {
            #expect(e.kind == .corrupt && e.file == "cut.jpg")
            #expect(e.reason.contains("Corrupt JPEG data"))
        }
        let lenient = DecodeOptions(strictJPEG: false)
        #expect(try ImageDecoder(options: lenient).decode(Data(bytes), name: "cut.jpg").width == 61)
    }

    @Test("garbage inside entropy data that libjpeg cannot detect still decodes without a crash, as in Pillow")
    func undetectableGarbage() throws {
        let image = try ImageDecoder().decode(file: Fixtures.path("bad/corrupt_data.jpg"))
        #expect(image.width == 61 && image.height == 47)
    }

    @Test("fatal JPEG header errors", arguments: ["corrupt_header.jpg", "sof_zero_components.jpg"])
    func fatalJPEG(_ name: String) throws {
        let e = try failure(name)
        #expect(e.kind == .corrupt)
        #expect(e.reason.contains("header"))
    }

    @Test("truncated PNG")
    func truncatedPNG() throws {
        #expect(try failure("truncated.png").kind == .truncated)
    }

    @Test("PNG CRC errors, critical and ancillary", arguments: ["bad_crc.png", "bad_crc_ancillary.png"])
    func badCRC(_ name: String) throws {
        let e = try failure(name)
        #expect(e.kind == .corrupt)
        #expect(e.reason.lowercased().contains("crc"))
    }

    @Test("empty file")
    func empty() throws {
        #expect(try failure("empty.jpg").kind == .emptyFile)
    }

    @Test("random bytes and text are of unknown format", arguments: ["random.bin", "text_as.png"])
    func unknown(_ name: String) throws {
        #expect(try failure(name).kind == .unknownFormat)
    }

    @Test("decompression bombs are refused from the header", arguments: ["bomb.png", "bomb.jpg"])
    func bombs(_ name: String) throws {
        let e = try failure(name)
        #expect(e.kind == .tooLarge)
        #expect(e.reason.contains("limit"))
    }

    @Test("the pixel limit is a setting")
    func pixelLimit() throws {
        let small = DecodeOptions(maxPixels: 61 * 47 - 1)
        let path = Fixtures.path("images/jpeg_baseline_420.jpg")
        #expect(throws: IngestError.self) { try ImageDecoder(options: small).decode(file: path) }
        let exact = DecodeOptions(maxPixels: 61 * 47)
        #expect(try ImageDecoder(options: exact).decode(file: path).width == 61)
    }

    @Test("missing file and a folder in its place")
    func missing() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("nope.jpg").path
        #expect(throws: IngestError(.missingFile, file: missing, "no such file")) {
            try ImageDecoder().decode(file: missing)
        }
        do {
            _ = try ImageDecoder().decode(file: dir.path)
            Issue.record("a folder decoded")
        } catch let e as IngestError {
            #expect(e.kind == .unreadable && e.file == dir.path)
        }
    }

    @Test("every prefix of a JPEG and a PNG fails cleanly or decodes, never crashes")
    func prefixes() throws {
        for name in ["images/jpeg_progressive.jpg", "images/png_rgb8_interlaced.png"] {
            let bytes = try Fixtures.bytes(name)
            var failures = 0
            for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 97)) {
                do {
                    _ = try ImageDecoder().decode(Data(bytes[0..<cut]), name: "\(name)[0..<\(cut)]")
                } catch let e as IngestError {
                    #expect(e.file.hasPrefix(name))
                    failures += 1
                }
            }
            #expect(failures > 90, "\(name): truncations must fail")
        }
    }

    @Test(
        "seeded byte flips never crash the decoders: each gives a consistent image or an ingest error naming the file")
    func flips() throws {
        var rng = SplitMix64(seed: 42)
        for name in [
            "images/jpeg_baseline_420.jpg", "images/jpeg_progressive.jpg", "images/png_palette8_trns.png",
            "images/png_rgba16.png",
        ] {
            let original = try Fixtures.bytes(name)
            var decoded = 0, refused = 0
            for _ in 0..<60 {
                var bytes = original
                for _ in 0..<4 {
                    let at = Int(rng.next() % UInt64(bytes.count))
                    bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                }
                do {
                    let image = try ImageDecoder().decode(Data(bytes), name: name)
                    #expect(image.width > 0 && image.height > 0 && (1...4).contains(image.channels))
                    #expect(
                        image.pixels.count == image.width * image.height * image.channels,
                        "\(name): pixels do not fill the image")
                    decoded += 1
                } catch let error as IngestError {
                    #expect(error.file == name && !error.reason.isEmpty, "\(error)")
                    refused += 1
                } catch {
                    Issue.record("\(name): not an ingest error: \(error)")
                }
            }
            #expect(decoded + refused == 60)
        }
    }
}

/// A small seeded generator for reproducible mutations.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
