import Foundation
import KeelTesting
import Testing

/// SIGKILL a mining node at seeded random moments and restart it: the height never falls below
/// what it logged as committed, it always starts again, and the full verification passes.
/// `KEEL_CRASH_CYCLES` sets the number of cycles (30 in `make test`, 200 in `make soak-crash`),
/// `KEEL_CRASH_SEED` the schedule.
@Suite("Crash consistency", .serialized)
struct CrashConsistencyTests {
    @Test("SIGKILL at random moments never loses a committed block")
    func killAndRestart() async throws {
        let environment = ProcessInfo.processInfo.environment
        let cycles = Int(environment["KEEL_CRASH_CYCLES"] ?? "") ?? 30
        let seed = UInt64(environment["KEEL_CRASH_SEED"] ?? "") ?? 20_261_121
        var rng = SeededGenerator(seed: seed)
        let dir = TemporaryDirectory("crash")
        var committed: UInt64 = 0
        var kills = 0
        for cycle in 0..<cycles {
            let node = try NodeHarness.start(dir.path)
            let started = await Poll.until(timeout: 60) { NodeHarness.startupHeight(node.output) != nil || !node.isRunning }
            let startHeight = NodeHarness.startupHeight(node.output)
            try #require(started && startHeight != nil, "cycle \(cycle) (seed \(seed)): the node did not start: \(node.output.suffix(5))")
            #expect(startHeight! >= committed, "cycle \(cycle) (seed \(seed)): started at \(startHeight!) below committed \(committed)")

            // The kill moment is the schedule under test, not a wait for a condition.
            let delay = UInt64.random(in: 0...400, using: &rng)
            try await Task.sleep(nanoseconds: delay * 1_000_000)
            node.send(SIGKILL)
            let status = await node.waitForExit(timeout: 10)
            #expect(status != nil)
            kills += 1
            _ = await Poll.until(timeout: 5) { node.outputClosed }
            committed = max(committed, NodeHarness.committedHeights(node.output).max() ?? 0)

            let verify = try await Poll.run(NodeHarness.cli, ["chain", "verify", "--data-dir", dir.path, "--full"], timeout: 120)
            #expect(verify.status == 0, "cycle \(cycle) (seed \(seed)): \(verify.output)")
            let info = try await NodeHarness.info(dir.path)
            let height = UInt64(info["height"] as? Int ?? -1)
            #expect(height >= committed, "cycle \(cycle) (seed \(seed)): height \(height) fell below committed \(committed)")
        }
        #expect(kills == cycles)
        #expect(committed > 0)
    }
}
