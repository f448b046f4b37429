import Foundation
import KeelClient
import KeelCore
import KeelFiles
import KeelTesting
import Testing

/// SIGKILL a mining node at seeded random moments and restart it: the height never falls below
/// what it logged as committed, it always starts again, and the full verification passes.
/// `KEEL_CRASH_CYCLES` sets the number of cycles (30 in `make test`, 200 in `make soak-crash`),
/// `KEEL_CRASH_SEED` the schedule.
@Suite("Crash consistency", .serialized, .keepsArtifacts)
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
            let started = await Poll.holds(within: 60) { NodeHarness.startupHeight(node.output) != nil || !node.isRunning }
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
            _ = await Poll.holds(within: 5) { node.outputClosed }
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

    @Test("SIGKILL during --reindex: the next start resumes the reindex and reaches the same tip")
    func killDuringReindex() async throws {
        let environment = ProcessInfo.processInfo.environment
        let cycles = max(3, (Int(environment["KEEL_CRASH_CYCLES"] ?? "") ?? 30) / 10)
        var rng = SeededGenerator(seed: UInt64(environment["KEEL_CRASH_SEED"] ?? "") ?? 20_261_202)
        let dir = TemporaryDirectory("crash-reindex")
        let miner = try NodeHarness.start(dir.path)
        try await Poll.until("(NodeHarness.committedHeights(miner.output).last ?? 0) >= 300", timeout: 60) {
            (NodeHarness.committedHeights(miner.output).last ?? 0) >= 300
        }
        miner.send(SIGTERM)
        #expect(await miner.waitForExit(timeout: 20) == 0)
        let before = try await NodeHarness.info(dir.path)
        for cycle in 0..<cycles {
            let node = try NodeHarness.start(dir.path, ["--threads", "0", "--reindex"])
            try await Poll.until("node.output.contains { $0.contains(\"reindexing\") } || !node.isRunning", timeout: 30) {
                node.output.contains { $0.contains("reindexing") } || !node.isRunning
            }
            // The kill moment is the schedule under test, not a wait for a condition.
            try await Task.sleep(nanoseconds: UInt64.random(in: 0...600, using: &rng) * 1_000_000)
            node.send(SIGKILL)
            _ = await node.waitForExit(timeout: 10)

            let again = try NodeHarness.start(dir.path, ["--threads", "0"])
            let (resumed, client) = (again, try? await Self.client(dir.path, again))
            let reached = await Poll.holds(within: 120) { (try? client?.status())?.height == UInt64(before["height"] as? Int ?? -1) }
            #expect(reached, "cycle \(cycle): \(resumed.output.suffix(6))")
            resumed.send(SIGTERM)
            #expect(await resumed.waitForExit(timeout: 20) == 0)
            let after = try await NodeHarness.info(dir.path)
            #expect(
                after["tip"] as? String == before["tip"] as? String && after["utxo_hash"] as? String == before["utxo_hash"] as? String,
                "cycle \(cycle)")
            let verify = try await Poll.run(NodeHarness.cli, ["chain", "verify", "--data-dir", dir.path, "--full"], timeout: 120)
            #expect(verify.status == 0, "cycle \(cycle): \(verify.output)")
        }
    }

    @Test("SIGKILL during a reorg: the store is at a block boundary on one branch and verifies; the restart finishes the reorg, never below what was committed")
    func killDuringReorg() async throws {
        let environment = ProcessInfo.processInfo.environment
        let cycles = max(3, (Int(environment["KEEL_CRASH_CYCLES"] ?? "") ?? 30) / 10)
        var rng = SeededGenerator(seed: UInt64(environment["KEEL_CRASH_SEED"] ?? "") ?? 20_261_203)
        // A main chain of 20 and a heavier branch forking at 8 (blocks made in-process).
        let source = try TestChain()
        let main = try source.extend(20)
        let branch = try source.branch(from: main[7].hash, count: 16)
        for cycle in 0..<cycles {
            let dir = TemporaryDirectory("crash-reorg")
            let node = try NodeHarness.start(dir.path, ["--threads", "0"])
            let client = try await Self.client(dir.path, node)
            for block in main { _ = try client.submitBlock(hex: Hex.encode(block.encoded)) }
            #expect(try client.status().height == 20)
            let feeder = Task.detached {
                for block in branch { _ = try? client.submitBlock(hex: Hex.encode(block.encoded)) }
            }
            try await Task.sleep(nanoseconds: UInt64.random(in: 0...80, using: &rng) * 1_000_000)
            node.send(SIGKILL)
            _ = await node.waitForExit(timeout: 10)
            await feeder.value
            _ = await Poll.holds(within: 5) { node.outputClosed }
            let committed = NodeHarness.committedHeights(node.output).max() ?? 0

            let verify = try await Poll.run(NodeHarness.cli, ["chain", "verify", "--data-dir", dir.path, "--full"], timeout: 120)
            #expect(verify.status == 0, "cycle \(cycle): \(verify.output)")
            let info = try await NodeHarness.info(dir.path)
            let tip = info["tip"] as? String ?? ""
            #expect((main + branch).contains { $0.hash.hex == tip }, "cycle \(cycle): the tip is a block of one branch")
            let restarted = try NodeHarness.start(dir.path, ["--threads", "0"])
            let again = try await Self.client(dir.path, restarted)
            // A reorg cut short by the kill is finished at start: never below the main chain's 20.
            let startHeight = try #require(NodeHarness.startupHeight(restarted.output))
            #expect(startHeight >= 20 && startHeight >= committed, "cycle \(cycle): restarted at \(startHeight), committed \(committed)")
            for block in main + branch { _ = try? again.submitBlock(hex: Hex.encode(block.encoded)) }
            #expect(try again.status().tip == branch.last!.hash.hex, "cycle \(cycle): the reorg completes")
            restarted.send(SIGTERM)
            #expect(await restarted.waitForExit(timeout: 20) == 0)
        }
    }

    @Test(
        "SIGKILL mid-sync, while groups of blocks are validated and written together: the store is at a block boundary, nothing committed is lost, and the sync resumes"
    )
    func killDuringSync() async throws {
        let environment = ProcessInfo.processInfo.environment
        let cycles = max(3, (Int(environment["KEEL_CRASH_CYCLES"] ?? "") ?? 30) / 10)
        var rng = SeededGenerator(seed: UInt64(environment["KEEL_CRASH_SEED"] ?? "") ?? 20_261_203)
        let count = 3_000
        let sourceDir = TemporaryDirectory("crash-sync-source")
        try await Blocking.run {
            let fixture = try TestChain(directory: sourceDir)
            defer { fixture.close() }
            try fixture.premine(count)
        }
        let source = try await NodeProcess.Builder(directory: sourceDir.path).with(["--max-tip-age", "100000000"]).start()
        defer { source.process.send(SIGKILL) }
        let dir = TemporaryDirectory("crash-sync")
        var committed: UInt64 = 0
        for cycle in 0..<cycles {
            let node = try await NodeProcess.Builder(directory: dir.path).logging("debug")
                .with(["--connect", source.p2pAddress, "--max-tip-age", "100000000"]).start()
            let startHeight = try #require(NodeHarness.startupHeight(node.process.output))
            #expect(startHeight >= committed, "cycle \(cycle): started at \(startHeight) below committed \(committed)")
            // Killed somewhere in the next stretch of the sync: the kill moment is what is tested.
            let target = min(UInt64(count - 1), startHeight + UInt64.random(in: 50...600, using: &rng))
            try await Poll.until("the sync to pass \(target)", timeout: 120) {
                (NodeHarness.committedHeights(node.process.output).last ?? 0) >= target
            }
            node.process.send(SIGKILL)
            _ = await node.process.waitForExit(timeout: 10)
            _ = await Poll.holds(within: 5) { node.process.outputClosed }
            committed = max(committed, NodeHarness.committedHeights(node.process.output).max() ?? 0)
            let verify = try await Poll.run(NodeHarness.cli, ["chain", "verify", "--data-dir", dir.path, "--full"], timeout: 120)
            #expect(verify.status == 0, "cycle \(cycle): \(verify.output)")
            let height = UInt64(try await NodeHarness.info(dir.path)["height"] as? Int ?? -1)
            #expect(height >= committed, "cycle \(cycle): height \(height) fell below committed \(committed)")
        }
        let last = try await NodeProcess.Builder(directory: dir.path).with(["--connect", source.p2pAddress, "--max-tip-age", "100000000"]).start()
        try await Poll.until("the resumed sync to reach \(count) (at \(last.height ?? 0))", timeout: 120) { last.height == UInt64(count) }
        await last.stop()
        let mine = try await NodeHarness.info(dir.path)
        await source.stop()
        let theirs = try await NodeHarness.info(sourceDir.path)
        #expect(mine["tip"] as? String == theirs["tip"] as? String)
        #expect(mine["utxo_hash"] as? String == theirs["utxo_hash"] as? String)
    }

    static func client(_ directory: String, _ node: ChildProcess) async throws -> NodeClient {
        guard await Poll.holds(within: 60, { NodeHarness.apiURL(node.output) != nil || !node.isRunning }), let url = NodeHarness.apiURL(node.output) else {
            throw HarnessError(message: "the node's API did not come up: \(node.output.suffix(5))")
        }
        let token = try String(contentsOfFile: directory + "/api.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return NodeClient(endpoint: NodeEndpoint(baseURL: url, token: token))
    }
}
