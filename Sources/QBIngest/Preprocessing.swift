/// How decoded pixels become a model input: resize (shorter side), center crop, channel count,
/// scaling and mean/std normalization, to a Float32 CHW tensor.
///
/// The pipeline is torchvision's `Resize(round(size / cropFraction))` + `CenterCrop(size)` +
/// `ToTensor()` + `Normalize(mean, std)`, computed in Float from 8-bit pixels (no 8-bit
/// intermediate image), with Pillow's filter definitions and antialiasing.
public struct Preprocessing: Sendable, Equatable, Codable {
    /// The preset's name, recorded in reports and fingerprints.
    public var name: String
    /// Side of the square output (after the center crop).
    public var size: Int
    /// Fraction of the resized image kept by the center crop: the shorter side is resized to
    /// `round(size / cropFraction)`. 1 keeps the whole shorter side. Must be in (0, 1].
    public var cropFraction: Double
    public var filter: ResizeFilter
    /// Widen the filter when shrinking (Pillow always does; torchvision with antialias=True).
    public var antialias: Bool
    /// 1 (gray; RGB is converted with ITU-R 601-2 luma, as Pillow's `convert("L")`) or 3 (RGB; gray is replicated).
    public var channels: Int
    /// Multiplies 0...255 pixel values first (1/255 maps them to 0...1).
    public var scale: Float
    /// Per-channel mean and standard deviation: `x = (v * scale - mean[c]) / std[c]`.
    public var mean: [Float]
    public var std: [Float]

    public init(
        name: String, size: Int, cropFraction: Double, filter: ResizeFilter = .bilinear, antialias: Bool = true,
        channels: Int, scale: Float = 1.0 / 255.0, mean: [Float], std: [Float]
    ) {
        self.name = name
        self.size = size
        self.cropFraction = cropFraction
        self.filter = filter
        self.antialias = antialias
        self.channels = channels
        self.scale = scale
        self.mean = mean
        self.std = std
    }

    /// ImageNet evaluation: shorter side 256, center 224 x 224, bilinear antialiased, RGB,
    /// mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
    public static let imagenet = Preprocessing(
        name: "imagenet", size: 224, cropFraction: 0.875, channels: 3,
        mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    /// Fashion-MNIST / MNIST: 28 x 28 gray, pixel / 255, no mean/std shift.
    public static let fmnist = Preprocessing(
        name: "fmnist", size: 28, cropFraction: 1, channels: 1, mean: [0], std: [1])

    /// The named presets.
    public static let presets: [String: Preprocessing] = ["imagenet": .imagenet, "fmnist": .fmnist]

    /// Checks the settings; `file` names where they came from in the error.
    public func validate(file: String = "preprocessing settings") throws {
        func bad(_ why: String) -> IngestError { IngestError(.badSetting, file: file, "preset \(name): \(why)") }
        guard size > 0, size <= 16384 else { throw bad("size \(size) must be in 1...16384") }
        guard cropFraction > 0, cropFraction <= 1 else { throw bad("cropFraction \(cropFraction) must be in (0, 1]") }
        guard channels == 1 || channels == 3 else { throw bad("channels must be 1 or 3, not \(channels)") }
        guard mean.count == channels, std.count == channels else {
            throw bad("mean and std need \(channels) values each")
        }
        guard std.allSatisfy({ $0 != 0 && $0.isFinite }), mean.allSatisfy(\.isFinite), scale.isFinite else {
            throw bad("mean, std and scale must be finite and std non-zero")
        }
    }

    /// The size the whole image is resized to before the crop, for a source of `width` x `height`:
    /// shorter side `round(size / cropFraction)`, longer side scaled and truncated (torchvision's rule).
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let shorter = Int((Double(size) / cropFraction).rounded())
        if width <= height {
            return (shorter, max(Int(Double(shorter) * Double(height) / Double(width)), shorter))
        }
        return (max(Int(Double(shorter) * Double(width) / Double(height)), shorter), shorter)
    }
}
