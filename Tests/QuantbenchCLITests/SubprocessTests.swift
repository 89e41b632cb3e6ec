import Foundation
import QBTestSupport
import Testing

@Suite("The subprocess helper")
struct SubprocessTests {
    @Test("a child writing more than a pipe buffer to stderr before stdout finishes, both streams whole")
    func largeStderr() throws {
        let shell = URL(fileURLWithPath: "/bin/sh")
        let script = "head -c 300000 /dev/zero | tr '\\000' x >&2; echo done; exit 3"
        let outcome = try Subprocess.run(shell, ["-c", script], directory: Fixtures.packageRoot)
        #expect(outcome.status == 3)
        #expect(outcome.stdout == "done\n")
        #expect(outcome.stderr.count == 300_000)
    }
}
