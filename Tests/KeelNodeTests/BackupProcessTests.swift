import Foundation
import KeelTesting
import Testing

@Suite("keel chain backup: online and offline, restored into a new directory", .serialized, .keepsArtifacts)
struct BackupProcessTests {
    static func json(_ output: String) throws -> [String: Any] {
        let line = try #require(output.split(separator: "\n").last)
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    @Test("a backup taken while the node mines restores to the same tip and UTXO hash; a stopped node backs up too; an existing target is refused")
    func backupAndRestore() async throws {
        let dir = TemporaryDirectory("backup")
        let data = dir.path + "/node"
        let (node, client) = try await NodeHarness.startWithAPI(data)
        defer { node.send(SIGKILL) }
        try await Poll.until("((try? client.status())?.height ?? 0) >= 30", timeout: 60) { ((try? client.status())?.height ?? 0) >= 30 }

        let target = dir.path + "/backup-online"
        let made = try await Poll.run(NodeHarness.cli, ["chain", "backup", "--data-dir", data, "--to", target, "--json"])
        #expect(made.status == 0, "\(made.output)")
        let report = try Self.json(made.output)
        let height = try #require(report["height"] as? Int)
        #expect(height >= 30)
        #expect((try client.status().height) >= UInt64(height), "the node went on mining")
        let copied = try await NodeHarness.info(target)
        #expect(copied["height"] as? Int == height)
        #expect(copied["tip"] as? String == report["tip"] as? String)
        #expect(copied["utxo_hash"] as? String == report["utxo_hash"] as? String)
        #expect(FileManager.default.contents(atPath: target + "/miner.key") == FileManager.default.contents(atPath: data + "/miner.key"))
        let mode = try FileManager.default.attributesOfItem(atPath: target + "/miner.key")[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)

        // Restore: the backup copied into a new data directory starts at its tip and verifies.
        let restored = dir.path + "/restored"
        try FileManager.default.copyItem(atPath: target, toPath: restored)
        let verify = try await Poll.run(NodeHarness.cli, ["chain", "verify", "--full", "--data-dir", restored])
        #expect(verify.status == 0, "\(verify.output)")
        let again = try NodeHarness.start(restored, ["--threads", "0"])
        try await Poll.until("NodeHarness.apiURL(again.output) != nil || !again.isRunning", timeout: 30) {
            NodeHarness.apiURL(again.output) != nil || !again.isRunning
        }
        // At least the backup's tip: a block the miner had stored but not yet connected when the
        // checkpoint was taken is in the copy too, and start-up connects it (a legitimate 1 more).
        let started = NodeHarness.startupHeight(again.output) ?? 0
        #expect(started >= UInt64(height) && started <= UInt64(height) + 1, "started at \(started), backup at \(height)")
        again.send(SIGTERM)
        #expect(await again.waitForExit(timeout: 20) == 0)

        let refused = try await Poll.run(NodeHarness.cli, ["chain", "backup", "--data-dir", data, "--to", target])
        #expect(refused.status == 1 && refused.output.contains("already exists"), "\(refused.output)")

        node.send(SIGTERM)
        #expect(await node.waitForExit(timeout: 20) == 0)
        let offline = dir.path + "/backup-offline"
        let stopped = try await Poll.run(NodeHarness.cli, ["chain", "backup", "--data-dir", data, "--to", offline, "--json"])
        #expect(stopped.status == 0, "\(stopped.output)")
        let live = try await NodeHarness.info(data)
        let copy = try await NodeHarness.info(offline)
        #expect(copy["tip"] as? String == live["tip"] as? String && copy["utxo_hash"] as? String == live["utxo_hash"] as? String)
    }
}
