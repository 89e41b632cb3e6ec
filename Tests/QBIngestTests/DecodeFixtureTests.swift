import Foundation
import QBIngest
import QBTestSupport
import Testing

/// One entry of Tests/Fixtures/images/manifest.json (made by scripts/make_image_fixtures.py with Pillow).
struct ImageFixture: Decodable, CustomTestStringConvertible, Sendable {
    struct Scaled: Decodable, Sendable {
        var denom: Int
        var width: Int
        var height: Int
        var expected_rgb: String
    }
    var file: String
    var format: String
    var width: Int
    var height: Int
    var file_channels: Int
    var bit_depth: Int
    var interlaced: Bool
    var progressive: Bool
    var color: String
    var expected_rgb: String
    var exact: Bool
    var tolerance: Int?
    var scaled: [Scaled]?

    var testDescription: String { file }

    static let all: [ImageFixture] = (try? loadJSONFixture("images/manifest.json")) ?? []
}

@Suite("Decoding matches Pillow")
struct DecodeFixtureTests {
    @Test("the fixture manifest covers every kind")
    func manifestCoversKinds() {
        let fixtures = ImageFixture.all
        #expect(fixtures.count >= 30)
        let jpegColors = Set(fixtures.filter { $0.format == "jpeg" }.map(\.color))
        #expect(jpegColors.isSuperset(of: ["rgb", "gray", "cmyk", "ycck"]))
        #expect(fixtures.contains { $0.format == "jpeg" && $0.progressive })
        let pngDepths = Set(fixtures.filter { $0.format == "png" }.map(\.bit_depth))
        #expect(pngDepths == [1, 2, 4, 8, 16])
        let pngColors = Set(fixtures.filter { $0.format == "png" }.map(\.color))
        #expect(pngColors.isSuperset(of: ["gray", "gray_alpha", "rgb", "rgba", "palette"]))
        #expect(fixtures.contains { $0.format == "png" && $0.interlaced })
    }

    @Test("pixels equal Pillow's (16-bit within 1 LSB)", arguments: ImageFixture.all)
    func pixels(_ fixture: ImageFixture) throws {
        let image = try ImageDecoder().decode(file: Fixtures.path("images/" + fixture.file))
        let expected = try Fixtures.bytes("images/" + fixture.expected_rgb)
        #expect(image.width == fixture.width)
        #expect(image.height == fixture.height)
        #expect(image.source.format.rawValue == fixture.format)
        #expect(image.source.bitDepth == fixture.bit_depth)
        #expect(image.source.channels == fixture.file_channels)
        #expect(image.source.interlaced == fixture.interlaced)
        #expect(image.source.progressive == fixture.progressive)
        let diff = try #require(Tolerance.maxByteDifference(image.rgb8(), expected))
        if fixture.exact {
            #expect(diff == 0, "max difference \(diff) against Pillow")
        } else {
            #expect(diff <= (fixture.tolerance ?? 1), "max difference \(diff) against Pillow")
        }
    }

    @Test("DCT-domain scaling equals Pillow's draft decode")
    func dctScaling() throws {
        let fixture = try #require(ImageFixture.all.first { $0.scaled != nil })
        let path = Fixtures.path("images/" + fixture.file)
        for scaled in fixture.scaled ?? [] {
            // A target just above 1/(denom+1) of the source picks exactly this denominator.
            let target = (width: fixture.width / scaled.denom, height: fixture.height / scaled.denom)
            let image = try ImageDecoder().decode(file: path, draftTarget: target)
            #expect(image.source.scaleDenominator == scaled.denom)
            #expect(image.width == scaled.width && image.height == scaled.height)
            #expect(image.source.width == fixture.width, "the source size is the file's, not the scaled one")
            let expected = try Fixtures.bytes("images/" + scaled.expected_rgb)
            #expect(Tolerance.maxByteDifference(image.rgb8(), expected) == 0, "scale 1/\(scaled.denom)")
        }
        // Turned off, the same request decodes at full size.
        let full = try ImageDecoder(options: DecodeOptions(dctScaling: false))
            .decode(file: path, draftTarget: (fixture.width / 8, fixture.height / 8))
        #expect(full.width == fixture.width && full.source.scaleDenominator == 1)
    }

    @Test(
        "the draft rule is Pillow's",
        arguments: [
            (1000, 800, 224, 224, 2), (1000, 800, 100, 100, 8), (1000, 800, 500, 500, 1),
            (1000, 800, 499, 399, 2), (1000, 800, 250, 200, 4), (640, 480, 0, 0, 1), (100, 100, 101, 101, 1),
        ])
    func draftRule(_ c: (Int, Int, Int, Int, Int)) {
        #expect(
            ImageDecoder.draftScale(sourceWidth: c.0, sourceHeight: c.1, targetWidth: c.2, targetHeight: c.3) == c.4)
    }

    @Test("format is chosen by content, not by name")
    func contentDetection() throws {
        let image = try ImageDecoder().decode(file: Fixtures.path("bad/png_named.jpg"))
        #expect(image.source.format == .png)
        #expect(ImageFormat.detect([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageFormat.detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == .png)
        #expect(ImageFormat.detect([0x89, 0x50, 0x4E, 0x47]) == nil)
        #expect(ImageFormat.detect([UInt8]()) == nil)
    }
}
