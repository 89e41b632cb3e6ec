import Foundation
import QBTensor
#if canImport(Glibc)
    import Glibc
#endif

/// Writes files so that a reader sees either the old file or the complete new one, never a part:
/// the bytes go to a temporary file in the same folder, are flushed with fsync, then renamed over
/// the destination (rename is atomic within a file system), and the folder is synced so the rename
/// itself survives a crash. A killed writer can leave only its `.NAME.tmp-PID-N` file behind (git-ignored).
/// Debug builds honour `QB_FAULT=kill-mid-write` / `kill-before-rename` / `kill-after-rename` (SIGKILL at
/// that point), for the tests that kill a run mid-write.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw IngestError(.writeFailed, file: path, "folder \(dir) does not exist")
        }
        let temp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else {
            throw IngestError(.writeFailed, file: path, "cannot create \(temp): \(String(cString: strerror(errno)))")
        }
        var ok = false
        defer {
            if !ok { unlink(temp) }
        }
        let written = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                if offset > 0 && FaultInjection.isActive("kill-mid-write") { kill(getpid(), SIGKILL) }
                let chunk = FaultInjection.isActive("kill-mid-write") ? max(1, raw.count / 2) : raw.count
                let n = Glibc.write(fd, raw.baseAddress! + offset, min(chunk, raw.count - offset))
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
        let synced = written && fsync(fd) == 0
        let closed = close(fd) == 0
        guard written, synced, closed else {
            throw IngestError(.writeFailed, file: path, "writing \(temp) failed: \(String(cString: strerror(errno)))")
        }
        if FaultInjection.isActive("kill-before-rename") { kill(getpid(), SIGKILL) }
        guard rename(temp, path) == 0 else {
            throw IngestError(
                .writeFailed, file: path, "cannot rename \(temp) over it: \(String(cString: strerror(errno)))")
        }
        ok = true
        let dfd = open(dir, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
        if FaultInjection.isActive("kill-after-rename") { kill(getpid(), SIGKILL) }
    }
}
