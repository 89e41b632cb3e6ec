import ArgumentParser
import Foundation
import QBIngest

/// How the command line reports failures: one line on standard error, `error: <file>[:line]: <kind>: <reason>`,
/// and an exit code CI can tell apart.
enum CLI {
    /// Exit codes. 0 = success/pass; 1 = error (bad input, missing file, bad settings); 2 = regression
    /// (reserved for the gate); 64 = usage error (ArgumentParser's validation code).
    static let errorExit: Int32 = 1

    /// Runs `body`, turning `IngestError` (and any other error) into one message and exit code 1.
    static func guarded(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as IngestError {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(errorExit)
        } catch let error as ExitCode {
            throw error
        } catch let error as CleanExit {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(errorExit)
        }
    }
}

extension CLI {
    /// Prints `label: done/total` to standard error, at most every half second, and once at the end.
    static func progressPrinter(label: String) -> (Int, Int) -> Void {
        let state = ProgressState()
        return { done, total in
            let now = Date()
            if done == total || now.timeIntervalSince(state.last) >= 0.5 {
                state.last = now
                FileHandle.standardError.write(Data("  \(label): \(done)/\(total)\n".utf8))
            }
        }
    }

    final class ProgressState: @unchecked Sendable {
        var last = Date()
    }

    static func printReport(_ r: DatasetReport) {
        print("dataset: \(r.location)")
        print("kind: \(r.kind)")
        print("count: \(r.count)")
        if !r.classes.isEmpty {
            print("classes (\(r.classes.count)): " + r.classes.map { "\($0.name) (\($0.count))" }.joined(separator: ", "))
        }
        print("pipeline: \(r.pipeline)")
        print("bad samples: \(r.bad.count)")
        for b in r.bad { print("  #\(b.index) \(b.error.description)") }
        print("fingerprint: sha256:\(r.fingerprint)")
        print(String(format: "time: %.2f s", r.seconds))
    }
}
