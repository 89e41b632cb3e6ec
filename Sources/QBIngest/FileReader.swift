import Foundation

/// Reads whole files with errors that say which file and why.
public enum FileReader {
    /// The file's bytes. Throws `missingFile`, `unreadable` (a directory, no permission, I/O error),
    /// `emptyFile`, or `tooLarge` when the file exceeds `maxBytes`.
    public static func read(_ path: String, maxBytes: Int = 1 << 31, allowEmpty: Bool = false) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw IngestError(.missingFile, file: path, "no such file")
        }
        if isDirectory.boolValue { throw IngestError(.unreadable, file: path, "is a directory, not a file") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw IngestError(.unreadable, file: path, "permission denied")
        }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
            size.intValue > maxBytes
        {
            throw IngestError(.tooLarge, file: path, "file is \(size.intValue) bytes, over the limit of \(maxBytes)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw IngestError(.unreadable, file: path, "cannot read: \(error.localizedDescription)")
        }
        if data.isEmpty && !allowEmpty { throw IngestError(.emptyFile, file: path, "file is empty (0 bytes)") }
        return data
    }
}
