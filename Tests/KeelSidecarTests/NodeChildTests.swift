import Foundation
import KeelFiles
import KeelTesting
import Testing

@testable import KeelSidecar

@Suite("starting the node process", .keepsArtifacts)
struct NodeChildTests {
    /// The kernel sends the parent-death signal when the thread that forked exits; Swift's pool
    /// threads exit when idle. A child started from a thread that ends at once must live on.
    @Test("a node started from a thread that then exits keeps running: it dies with the sidecar, not with a pool thread")
    func outlivesTheCallingThread() async throws {
        let stdout = LogBuffer(capacity: 10), stderr = LogBuffer(capacity: 10)
        // Blocking.run runs the spawn on a thread of its own, which ends as soon as it returns.
        let child = try await Blocking.run {
            try NodeChild.spawn(command: "/bin/sleep", arguments: ["600"], environment: [:], stdout: stdout, stderr: stderr, echo: false)
        }
        // A long sleep, so a late check (suites share two cores) still tells killed from finished.
        let died = await Poll.holds(within: 3) { Procs.state(child.pid).map { $0 == "Z" } ?? true }
        #expect(!died, "the child was killed when the thread that started it exited")
        // Only this pid is waited for: a waitpid(-1) here would take other tests' children.
        kill(child.pid, SIGKILL)
        var status: Int32 = 0
        #expect(waitpid(child.pid, &status, 0) == child.pid)
        #expect(status & 0x7f == SIGKILL)
    }
}
