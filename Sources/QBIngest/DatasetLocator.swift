import Foundation

/// What a path holds, decided from the path itself and the file's content.
public enum DatasetLocation: Sendable, Equatable {
    /// A folder with one subfolder per class.
    case imageFolder(String)
    /// A folder of unlabeled images (every non-hidden file directly inside).
    case unlabeledFolder(String)
    /// A CSV/JSON Lines manifest with `path` and `label` columns.
    case imageManifest(String)
    /// An IDX images file and its labels file.
    case idx(images: String, labels: String)
    /// CSV/JSON Lines with text and label columns.
    case labeledText(String)
    /// Plain UTF-8 text.
    case corpus(String)

    /// Classifies `path`: a folder with subfolders is an ImageFolder, a folder of files an unlabeled
    /// set; an IDX file (by its magic, raw or gzip) pairs with `labels` or the file named like it
    /// with `labels`/`idx1`; a `.csv`/`.jsonl`/`.ndjson` file is an image manifest if it has a `path`
    /// column (field) and labeled text otherwise; any other file is a text corpus.
    public static func locate(_ path: String, labels: String? = nil) throws -> DatasetLocation {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
            throw IngestError(.missingFile, file: path, "no such file or folder")
        }
        if isDir.boolValue {
            let entries = (try? fm.contentsOfDirectory(atPath: path)) ?? []
            let hasSubfolder = entries.contains { name in
                var d: ObjCBool = false
                return !name.hasPrefix(".") && fm.fileExists(atPath: path + "/" + name, isDirectory: &d) && d.boolValue
            }
            return hasSubfolder ? .imageFolder(path) : .unlabeledFolder(path)
        }
        let head = try Self.head(path)
        let isGzip = head.starts(with: [0x1F, 0x8B])
        if head.count >= 4 && head[0] == 0 && head[1] == 0 && head[2] == 0x08 || (isGzip && path.contains("idx")) {
            guard let pair = labels ?? ImageDataset.idxLabelsPath(forImages: path) else {
                throw IngestError(
                    .badDataset, file: path,
                    "an IDX images file needs its labels file: name it like the images file with \"labels\" or give "
                        + "--labels"
                )
            }
            return .idx(images: path, labels: pair)
        }
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") || lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") {
            let firstLine = String(decoding: head.prefix { $0 != 0x0A }, as: UTF8.self)
            let hasPath =
                lower.hasSuffix(".csv")
                ? firstLine.split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: "\"")))
                }.contains("path")
                : firstLine.contains("\"path\"")
            return hasPath ? .imageManifest(path) : .labeledText(path)
        }
        return .corpus(path)
    }

    private static func head(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw IngestError(.unreadable, file: path, "cannot open for reading")
        }
        defer { try? handle.close() }
        do {
            return [UInt8](try handle.read(upToCount: 4096) ?? Data())
        } catch {
            throw IngestError(.unreadable, file: path, "cannot read: \(error.localizedDescription)")
        }
    }
}
