import ArgumentParser
import Foundation
import QBEngine
import QBHarness
import QBIngest
import QBTensor

/// How the command line reports failures: one line on standard error, `error: <file>[:line]: <kind>: <reason>`,
/// and an exit code CI can tell apart.
enum CLI {
    /// The exit code of an error (`ExitStatus` names them all).
    static let errorExit = ExitStatus.error.rawValue

    /// Runs `body`, turning every phase's `LocatedError` (`FILE[:LINE]: KIND: REASON`) and any other error into one
    /// message and exit code 1; a `ValidationError` is a usage error (64).
    static func guarded(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as any LocatedError {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(errorExit)
        } catch let error as ExitCode {
            throw error
        } catch let error as CleanExit {
            throw error
        } catch let error as ValidationError {
            // A bad option value found while running is a usage error too, as in validate().
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode(ExitStatus.usage.rawValue)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(errorExit)
        }
    }
}

extension CLI {
    /// What the loader tolerated in a model, one line each on standard error.
    static func printNotices(_ graph: Graph) {
        for notice in graph.notices { FileHandle.standardError.write(Data((notice + "\n").utf8)) }
    }

    /// Progress on standard error: `label: done/total (rate/s, ETA)`. On a terminal one line is redrawn
    /// in place; otherwise a plain line at most every two seconds, and always at the end.
    static func progressPrinter(label: String) -> (Int, Int) -> Void {
        let state = ProgressState()
        let terminal = isatty(STDERR_FILENO) != 0
        return { done, total in
            let now = Date()
            let interval = terminal ? 0.2 : 2.0
            guard done == total || now.timeIntervalSince(state.last) >= interval else { return }
            state.last = now
            let elapsed = now.timeIntervalSince(state.start)
            let rate = elapsed > 0 ? Double(done) / elapsed : 0
            let eta = rate > 0 ? Double(total - done) / rate : 0
            let text = String(format: "  %@: %d/%d (%.1f/s, ETA %.0f s)", label, done, total, rate, eta)
            if terminal {
                FileHandle.standardError.write(Data(("\r" + text + (done == total ? "\n" : "")).utf8))
            } else {
                FileHandle.standardError.write(Data((text + "\n").utf8))
            }
        }
    }

    final class ProgressState: @unchecked Sendable {
        let start = Date()
        var last = Date.distantPast
    }

    static func printReport(_ r: DatasetReport) {
        print("dataset: \(r.location)")
        print("kind: \(r.kind)")
        print("count: \(r.count)")
        if !r.classes.isEmpty {
            print(
                "classes (\(r.classes.count)): " + r.classes.map { "\($0.name) (\($0.count))" }.joined(separator: ", "))
        }
        print("pipeline: \(r.pipeline)")
        print("bad samples: \(r.bad.count)")
        for b in r.bad { print("  #\(b.index) \(b.error.description)") }
        print("fingerprint: sha256:\(r.fingerprint)")
        print(String(format: "time: %.2f s", r.seconds))
    }
}
