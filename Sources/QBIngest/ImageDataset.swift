import Foundation

/// A labeled image evaluation set: its samples in a fixed order and its class names (label i is
/// `classes[i]`). Opened from an ImageFolder, a manifest (CSV or JSON Lines of path,label) or an IDX pair.
public struct ImageDataset: Sendable {
    public enum Kind: String, Sendable, Codable {
        case imageFolder = "imagefolder"
        case manifest
        case idx
        case unlabeled
    }

    /// Where a sample's pixels come from.
    public enum Source: Sendable, Equatable {
        case file(String)
        /// Image `index` of the IDX images array.
        case idx(Int)
    }

    public struct Sample: Sendable, Equatable {
        public var source: Source
        public var label: Int
        /// How the sample is named in reports and errors (a path, or `file#index` for IDX).
        public var name: String
    }

    public let kind: Kind
    /// The folder, manifest file or IDX images file the set was opened from.
    public let location: String
    public let classes: [String]
    public let samples: [Sample]
    /// For IDX sets: the images (count x rows x cols bytes) and their size.
    let idxImages: [UInt8]
    let idxRows: Int
    let idxCols: Int

    init(
        kind: Kind, location: String, classes: [String], samples: [Sample],
        idxImages: [UInt8] = [], idxRows: Int = 0, idxCols: Int = 0
    ) {
        self.kind = kind
        self.location = location
        self.classes = classes
        self.samples = samples
        self.idxImages = idxImages
        self.idxRows = idxRows
        self.idxCols = idxCols
    }

    /// Samples per class, in class order.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classes.count)
        for s in samples { counts[s.label] += 1 }
        return counts
    }

    /// The pixels of an IDX sample as a gray image.
    func idxImage(_ index: Int) -> DecodedImage {
        let n = idxRows * idxCols
        let pixels = Array(idxImages[(index * n)..<((index + 1) * n)])
        let info = DecodedImage.SourceInfo(
            format: .idx, width: idxCols, height: idxRows, channels: 1, bitDepth: 8,
            colorModel: "gray", interlaced: false, progressive: false, scaleDenominator: 1)
        return DecodedImage(width: idxCols, height: idxRows, channels: 1, pixels: pixels, source: info)
    }

    // MARK: Opening

    /// An ImageFolder: one subfolder per class, classes sorted by name (byte order); every
    /// non-hidden regular file inside a class folder (recursively, sorted) is a sample, whatever its
    /// extension: its format is detected from its content when it is decoded.
    public static func imageFolder(_ root: String) throws -> ImageDataset {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDir) else {
            throw IngestError(.missingFile, file: root, "no such folder")
        }
        guard isDir.boolValue else { throw IngestError(.badDataset, file: root, "an ImageFolder must be a folder") }
        let entries: [String]
        do { entries = try fm.contentsOfDirectory(atPath: root) } catch {
            throw IngestError(.unreadable, file: root, "cannot list the folder: \(error.localizedDescription)")
        }
        let classes = entries.filter { name in
            var d: ObjCBool = false
            return !name.hasPrefix(".") && fm.fileExists(atPath: root + "/" + name, isDirectory: &d) && d.boolValue
        }.sorted(by: Self.byteOrder)
        guard !classes.isEmpty else {
            throw IngestError(.badDataset, file: root, "no class subfolders: an ImageFolder needs one folder per class")
        }
        var samples = [Sample]()
        for (label, name) in classes.enumerated() {
            let files = try listFiles(root + "/" + name)
            if files.isEmpty {
                throw IngestError(.badDataset, file: root + "/" + name, "class folder \"\(name)\" holds no files")
            }
            for f in files { samples.append(Sample(source: .file(f), label: label, name: f)) }
        }
        return ImageDataset(kind: .imageFolder, location: root, classes: classes, samples: samples)
    }

    /// Every non-hidden regular file under `dir`, sorted by name at each level. A folder reached
    /// twice through symbolic links is listed once (no endless loops).
    private static func listFiles(_ dir: String) throws -> [String] {
        var visited = Set<String>()
        return try listFiles(dir, visited: &visited)
    }

    private static func listFiles(_ dir: String, visited: inout Set<String>) throws -> [String] {
        let fm = FileManager.default
        let real = URL(fileURLWithPath: dir).resolvingSymlinksInPath().path
        guard visited.insert(real).inserted else { return [] }
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: dir) } catch {
            throw IngestError(.unreadable, file: dir, "cannot list the folder: \(error.localizedDescription)")
        }
        var out = [String]()
        for name in names.sorted(by: byteOrder) where !name.hasPrefix(".") {
            let path = dir + "/" + name
            var d: ObjCBool = false
            // A dangling link stays a sample: reading it then fails as a missing file, never silently.
            if fm.fileExists(atPath: path, isDirectory: &d), d.boolValue {
                out += try listFiles(path, visited: &visited)
            } else {
                out.append(path)
            }
        }
        return out
    }

    static func byteOrder(_ a: String, _ b: String) -> Bool { Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }

    /// A folder of unlabeled images (e.g. photos measured by agreement with FP32, not accuracy):
    /// every non-hidden regular file directly inside, sorted by name; one class, "unlabeled".
    public static func unlabeledFolder(_ root: String) throws -> ImageDataset {
        let fm = FileManager.default
        let names: [String]
        do { names = try fm.contentsOfDirectory(atPath: root) } catch {
            throw IngestError(.unreadable, file: root, "cannot list the folder: \(error.localizedDescription)")
        }
        let files = names.sorted(by: byteOrder).filter { !$0.hasPrefix(".") }.map { root + "/" + $0 }.filter { path in
            var d: ObjCBool = false
            return fm.fileExists(atPath: path, isDirectory: &d) && !d.boolValue
        }
        guard !files.isEmpty else { throw IngestError(.badDataset, file: root, "the folder holds no files") }
        return ImageDataset(
            kind: .unlabeled, location: root, classes: ["unlabeled"],
            samples: files.map { Sample(source: .file($0), label: 0, name: $0) })
    }

    /// A manifest: CSV (RFC 4180, header `path,label`) or JSON Lines (`{"path": ..., "label": ...}`),
    /// chosen by the `.jsonl`/`.ndjson` extension. Paths are relative to the manifest's folder (or
    /// absolute). Classes are `declaredClasses` when given, in that order (a label outside them is an
    /// error); otherwise the sorted distinct labels.
    public static func manifest(_ file: String, declaredClasses: [String]? = nil) throws -> ImageDataset {
        let rows = try ManifestRows.read(file, columns: ["path", "label"])
        let classes = try ManifestRows.classes(
            rows.map { ($0.line, $0.values[1]) }, declared: declaredClasses, file: file)
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let base = URL(fileURLWithPath: file).deletingLastPathComponent().path
        let samples = rows.map { row -> Sample in
            let p = row.values[0].hasPrefix("/") ? row.values[0] : base + "/" + row.values[0]
            return Sample(source: .file(p), label: index[row.values[1]]!, name: p)
        }
        if samples.isEmpty { throw IngestError(.badDataset, file: file, "the manifest lists no samples") }
        return ImageDataset(kind: .manifest, location: file, classes: classes, samples: samples)
    }

    /// An IDX pair: images (`count x rows x cols`, unsigned bytes) and labels (`count`), raw or gzip.
    /// Classes are "0" up to the largest label unless `declaredClasses` names them.
    public static func idx(images: String, labels: String, declaredClasses: [String]? = nil) throws -> ImageDataset {
        let img = try IDXFile(path: images)
        let lab = try IDXFile(path: labels)
        guard img.dimensions.count == 3 else {
            throw IngestError(
                .badDataset, file: images,
                "an IDX image file must have 3 dimensions (count, rows, cols), not \(img.dimensions)")
        }
        guard lab.dimensions.count == 1 else {
            throw IngestError(
                .badDataset, file: labels, "an IDX label file must have 1 dimension, not \(lab.dimensions)")
        }
        guard img.dimensions[0] == lab.dimensions[0] else {
            throw IngestError(
                .badDataset, file: labels, "\(lab.dimensions[0]) labels for \(img.dimensions[0]) images in \(images)")
        }
        let maxLabel = Int(lab.data.max() ?? 0)
        let classes = declaredClasses ?? (0...maxLabel).map(String.init)
        if let bad = lab.data.firstIndex(where: { Int($0) >= classes.count }) {
            throw IngestError(
                .unknownLabel, file: labels,
                "label \(lab.data[bad]) of sample \(bad) is outside the \(classes.count) declared classes")
        }
        let samples = lab.data.enumerated().map { i, l in Sample(source: .idx(i), label: Int(l), name: "\(images)#\(i)")
        }
        return ImageDataset(
            kind: .idx, location: images, classes: classes, samples: samples,
            idxImages: img.data, idxRows: img.dimensions[1], idxCols: img.dimensions[2])
    }

    /// The labels file that pairs with an IDX images file: `images` -> `labels`, `idx3` -> `idx1` in the name.
    public static func idxLabelsPath(forImages path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        guard name.contains("images") else { return nil }
        let labels = name.replacingOccurrences(of: "images", with: "labels").replacingOccurrences(
            of: "idx3", with: "idx1")
        return url.deletingLastPathComponent().appendingPathComponent(labels).path
    }
}
