import Foundation
@testable import QBIngest
import QBTestSupport
import Testing

/// The plain reference: full-image resize in Double with the filter evaluated directly (no crop
/// window, no precomputed taps), then center crop and normalization.
func referencePreprocess(_ image: DecodedImage, _ p: Preprocessing) -> [Float] {
    let full = p.resizedSize(width: image.source.width, height: image.source.height)
    func weights(_ inSize: Int, _ outSize: Int, _ i: Int) -> [(Int, Double)] {
        let scale = Double(inSize) / Double(outSize)
        let fs = p.antialias ? max(scale, 1) : 1
        let support = p.filter.support * fs
        let center = (Double(i) + 0.5) * scale
        var out = [(Int, Double)]()
        var total = 0.0
        for x in 0..<inSize {
            guard Double(x) >= Double(Int(center - support + 0.5)), Double(x) < center + support + 0.5 else { continue }
            let w = p.filter.weight((Double(x) - center + 0.5) / fs)
            if w != 0 {
                out.append((x, w))
                total += w
            }
        }
        return out.map { ($0.0, $0.1 / total) }
    }
    var pixels = image.pixels
    var c = image.channels
    if p.channels == 1 && c == 3 {
        pixels = Preprocessor.luma(pixels)
        c = 1
    }
    let left = Int((Double(full.width - p.size) / 2).rounded(.toNearestOrEven))
    let top = Int((Double(full.height - p.size) / 2).rounded(.toNearestOrEven))
    var out = [Float](repeating: 0, count: p.channels * p.size * p.size)
    for oy in 0..<p.size {
        let wy = weights(image.height, full.height, oy + top)
        for ox in 0..<p.size {
            let wx = weights(image.width, full.width, ox + left)
            for ch in 0..<p.channels {
                let sc = c == 1 ? 0 : ch
                var v = 0.0
                for (y, a) in wy { for (x, b) in wx { v += a * b * Double(pixels[(y * image.width + x) * c + sc]) } }
                out[ch * p.size * p.size + oy * p.size + ox] = Float(
                    (v * Double(p.scale) - Double(p.mean[ch])) / Double(p.std[ch]))
            }
        }
    }
    return out
}

@Suite("Preprocessing")
struct PreprocessTests {
    static let presets: [Preprocessing] = {
        var small = Preprocessing.imagenet
        small.size = 37
        small.cropFraction = 0.8
        var bicubic = small
        bicubic.filter = .bicubic
        var area = small
        area.filter = .area
        var noAA = small
        noAA.antialias = false
        var gray = small
        gray.channels = 1
        gray.mean = [0.5]
        gray.std = [0.25]
        return [small, bicubic, area, noAA, gray]
    }()

    @Test("fast path equals the plain reference on odd sizes", arguments: presets)
    func againstReference(_ p: Preprocessing) throws {
        for file in ["jpeg_baseline_420.jpg", "png_gray8.png", "jpeg_cmyk.jpg"] {
            let image = try ImageDecoder().decode(file: Fixtures.path("images/" + file))
            let fast = try Preprocessor(p).run(image)
            let ref = referencePreprocess(image, p)
            let diff = try #require(Tolerance.maxAbsDifference(fast, ref))
            #expect(diff < 2e-4, "\(file) \(p.filter) antialias=\(p.antialias): max difference \(diff)")
        }
    }

    @Test("upscaling a tiny image also matches the reference")
    func upscale() throws {
        var p = Preprocessing.imagenet
        p.size = 64
        let image = try ImageDecoder().decode(file: Fixtures.path("images/jpeg_tiny_420.jpg"))
        for filter in ResizeFilter.allCases {
            p.filter = filter
            let diff = try #require(
                Tolerance.maxAbsDifference(try Preprocessor(p).run(image), referencePreprocess(image, p)))
            #expect(diff < 2e-4, "\(filter): \(diff)")
        }
    }

    @Test("fmnist on a 28 x 28 image is pixel / 255")
    func fmnistIdentity() throws {
        let set = try ImageDataset.idx(
            images: Fixtures.path("idx/fmnist-test-first100-images-idx3-ubyte"),
            labels: Fixtures.path("idx/fmnist-test-first100-labels-idx1-ubyte"))
        let image = set.idxImage(3)
        let out = try Preprocessor(.fmnist).run(image)
        #expect(out.count == 784)
        #expect(out == image.pixels.map { Float($0) * (1 / 255) })
    }

    @Test("imagenet sizes follow torchvision: shorter side 256, center crop 224")
    func imagenetGeometry() {
        let p = Preprocessing.imagenet
        #expect(p.resizedSize(width: 500, height: 375) == (341, 256))
        #expect(p.resizedSize(width: 375, height: 500) == (256, 341))
        #expect(p.resizedSize(width: 300, height: 300) == (256, 256))
    }

    @Test("a constant image stays constant, normalized per channel")
    func constant() throws {
        let pixels = [UInt8](repeating: 0, count: 90 * 70 * 3).enumerated().map {
            UInt8([200, 100, 50][$0.offset % 3])
        }
        let info = DecodedImage.SourceInfo(
            format: .png, width: 90, height: 70, channels: 3, bitDepth: 8, colorModel: "rgb",
            interlaced: false, progressive: false, scaleDenominator: 1)
        let image = DecodedImage(width: 90, height: 70, channels: 3, pixels: pixels, source: info)
        let p = Preprocessing.imagenet
        let out = try Preprocessor(p).run(image)
        for ch in 0..<3 {
            let expected = (Float([200, 100, 50][ch]) / 255 - p.mean[ch]) / p.std[ch]
            let plane = out[(ch * 224 * 224)..<((ch + 1) * 224 * 224)]
            #expect(plane.allSatisfy { abs($0 - expected) < 1e-5 })
        }
    }

    @Test("gray images become three equal channels; RGB becomes Pillow's luma")
    func channels() throws {
        let gray = try ImageDecoder().decode(file: Fixtures.path("images/png_gray8.png"))
        var p = Preprocessing.imagenet
        p.mean = [0, 0, 0]
        p.std = [1, 1, 1]
        p.size = 32
        let out = try Preprocessor(p).run(gray)
        let n = 32 * 32
        #expect(Array(out[0..<n]) == Array(out[n..<(2 * n)]))
        // Pillow: Image.new('RGB', (1, 1), (10, 200, 30)).convert('L') == 124
        #expect(Preprocessor.luma([255, 255, 255, 0, 0, 0, 10, 200, 30]) == [255, 0, 124])
    }

    static let badPresets: [Preprocessing] = {
        var a = Preprocessing.imagenet
        a.cropFraction = 1.2
        var b = Preprocessing.imagenet
        b.channels = 2
        var c = Preprocessing.imagenet
        c.std = [1, 0, 1]
        var d = Preprocessing.imagenet
        d.mean = [0]
        var e = Preprocessing.imagenet
        e.size = 0
        return [a, b, c, d, e]
    }()

    @Test("bad settings are refused", arguments: badPresets)
    func badSettings(_ p: Preprocessing) {
        #expect(throws: IngestError.self) { try Preprocessor(p) }
    }
}
