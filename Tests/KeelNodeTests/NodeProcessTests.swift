import Foundation
import KeelCore
import KeelStorage
import KeelTesting
import Testing

@Suite("keel-node as a process", .serialized, .keepsArtifacts)
struct NodeProcessTests {
    @Test("SIGTERM stops a mining node with exit 0; a restart resumes from the stored tip")
    func gracefulRestart() async throws {
        let dir = TemporaryDirectory("node")
        let node = try NodeHarness.start(dir.path)
        try await Poll.until("NodeHarness.committedHeights(node.output).count >= 3", timeout: 60) { NodeHarness.committedHeights(node.output).count >= 3 }
        node.send(SIGTERM)
        // Graceful: mining stopped, the store flushed and closed. Seconds alone; more while the
        // parallel suites load the machine (10 s ran out there once).
        let status = await node.waitForExit(timeout: 30)
        try #require(status == 0, "no clean exit: \(node.output.suffix(10).joined(separator: " | "))")
        #expect(!node.exitedBySignal)
        #expect(node.output.contains { $0.contains("stopped cleanly") })
        let logged = NodeHarness.committedHeights(node.output).max() ?? 0

        let info = try await NodeHarness.info(dir.path)
        let height = try #require(info["height"] as? Int)
        #expect(height >= Int(logged))
        #expect((info["tip"] as? String)?.count == 64)
        #expect((info["utxo_hash"] as? String)?.count == 64)
        #expect(info["clean_shutdown"] as? Bool == true)

        let again = try NodeHarness.start(dir.path, ["--threads", "0"])
        // Up means the service group runs (and handles signals): the API line comes last.
        try await Poll.until("NodeHarness.apiURL(again.output) != nil", timeout: 30) { NodeHarness.apiURL(again.output) != nil }
        #expect(NodeHarness.startupHeight(again.output) == UInt64(height))
        #expect(again.output.contains { $0.contains(info["tip"] as! String) })
        again.send(SIGINT)
        #expect(await again.waitForExit(timeout: 10) == 0)
    }

    @Test("a second keel-node on a running node's directory fails fast with the pid")
    func secondInstance() async throws {
        let dir = TemporaryDirectory("lock")
        let first = try NodeHarness.start(dir.path)
        try await Poll.until("NodeHarness.apiURL(first.output) != nil", timeout: 30) { NodeHarness.apiURL(first.output) != nil }
        let started = Date()
        let result = try await Poll.run(
            NodeHarness.node, ["--dev", "--data-dir", dir.path, "--api-addr", "127.0.0.1:0", "--p2p-addr", "127.0.0.1:0"], timeout: 10)
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(result.status == 2)
        #expect(result.output.contains("already running"))
        #expect(result.output.contains("pid \(first.pid)"))
        #expect(first.isRunning)
        first.send(SIGTERM)
        #expect(await first.waitForExit(timeout: 10) == 0)
    }

    @Test("bad arguments are clear errors")
    func badArguments() async throws {
        let result = try await Poll.run(NodeHarness.node, ["--dev", "--threads", "-3", "--data-dir", "/tmp/unused"])
        #expect(result.status != 0)
        #expect(result.output.contains("--threads"))
        let address = try await Poll.run(NodeHarness.node, ["--dev", "--mine-to", "keel1nope", "--data-dir", "/tmp/unused"])
        #expect(address.status != 0)
        #expect(address.output.contains("--mine-to"))
        // A directory without a database is the command failing (1, as its help says), not usage.
        for command in ["info", "verify"] {
            let missing = try await Poll.run(Binaries.path("keel"), ["chain", command, "--data-dir", "/nonexistent-keel"])
            #expect(
                missing.status == 1 && missing.output.contains("no Keel database in /nonexistent-keel") && !missing.output.contains("Usage:"),
                "chain \(command): \(missing.status) \(missing.output)")
        }
        for cache in ["0", "65537"] {
            let result = try await Poll.run(NodeHarness.node, ["--dev", "--db-cache-mib", cache, "--data-dir", "/tmp/unused"])
            #expect(result.status == 64 && result.output.contains("--db-cache-mib must be 1 to 65536"), "\(result.status): \(result.output)")
        }
    }

    enum Damage: String, CaseIterable, Sendable {
        case flipBlockBytes, deleteHeightEntry, truncateValue

        /// Applies the damage to a stopped node's store; returns a phrase the refusal must name.
        func apply(_ store: ChainStore) throws -> String {
            let tip = try #require(try store.tip())
            let victim = try #require(try store.hash(atHeight: tip.height - 2))
            var batch = WriteBatch()
            let phrase: String
            switch self {
            case .flipBlockBytes:
                var raw = try #require(try store.database.get(.blocks, victim.bytes))
                raw[raw.count - 10] ^= 0xff
                batch.put(.blocks, victim.bytes, raw)
                phrase = "checksum mismatch in blocks"
            case .deleteHeightEntry:
                batch.deleteHeight(tip.height - 2)
                phrase = "height index has no entry at height \(tip.height - 2)"
            case .truncateValue:
                let raw = try #require(try store.database.get(.undo, victim.bytes))
                batch.put(.undo, victim.bytes, Array(raw.prefix(3)))
                phrase = "checksum mismatch in undo"
            }
            try store.write(batch, sync: true)
            return phrase
        }
    }

    @Test("corruption: the node refuses to start and names --reindex; --reindex recovers", arguments: Damage.allCases)
    func corruption(damage: Damage) async throws {
        let dir = TemporaryDirectory("corrupt")
        let node = try NodeHarness.start(dir.path)
        try await Poll.until("(NodeHarness.committedHeights(node.output).max() ?? 0) >= 12", timeout: 60) {
            (NodeHarness.committedHeights(node.output).max() ?? 0) >= 12
        }
        node.send(SIGTERM)
        #expect(await node.waitForExit(timeout: 10) == 0)

        let store = try ChainStore(directory: dir.path, network: .dev)
        let phrase = try damage.apply(store)
        store.close()

        let refused = try await Poll.run(
            NodeHarness.node, ["--dev", "--data-dir", dir.path, "--api-addr", "127.0.0.1:0", "--p2p-addr", "127.0.0.1:0"], timeout: 30)
        #expect(refused.status == 2)
        #expect(refused.output.contains("--reindex"))
        #expect(refused.output.contains(phrase), "\(refused.output)")
        let verify = try await Poll.run(NodeHarness.cli, ["chain", "verify", "--data-dir", dir.path])
        #expect(verify.status == 1)

        let reindexed = try NodeHarness.start(dir.path, ["--reindex"])
        try await Poll.until("reindexed.output.contains { $0.contains(\"reindex complete\") }", timeout: 60) {
            reindexed.output.contains { $0.contains("reindex complete") }
        }
        try await Poll.until("!NodeHarness.committedHeights(reindexed.output.filter { $0.contains(\"origin=miner\") }).isEmpty", timeout: 60) {
            !NodeHarness.committedHeights(reindexed.output.filter { $0.contains("origin=miner") }).isEmpty
        }
        reindexed.send(SIGTERM)
        #expect(await reindexed.waitForExit(timeout: 10) == 0)
        let full = try await Poll.run(NodeHarness.cli, ["chain", "verify", "--data-dir", dir.path, "--full"])
        #expect(full.status == 0, "\(full.output)")
    }
}
