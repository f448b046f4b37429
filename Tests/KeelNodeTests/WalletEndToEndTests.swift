import Foundation
import KeelClient
import KeelCore
import KeelTesting
import Testing

/// The wallet as a person uses it: real `keel-node`, real `keel`, loopback only.
@Suite("Wallet end to end", .serialized, .keepsArtifacts)
struct WalletEndToEndTests {
    func keel(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await Poll.run(NodeHarness.cli, arguments, timeout: 120)
    }

    @Test("mine to A, send A to B, mine elsewhere: balances to the unit, the fee went to the miner")
    func sendBetweenWallets() async throws {
        let dir = TemporaryDirectory("wallet-e2e")
        let data = dir.appending("node")
        let pass = dir.appending("pass")
        try "correct horse battery staple\n".write(toFile: pass, atomically: true, encoding: .utf8)
        func wallet(_ name: String) -> [String] { ["--wallet", dir.appending("\(name).json"), "--passphrase-file", pass] }
        func create(_ name: String) async throws -> String {
            let result = try await keel(["wallet", "create", "--network", "dev", "--kdf-log-n", "10"] + wallet(name))
            #expect(result.status == 0, "\(result.output)")
            return String(result.output.split(separator: "\n").last ?? "")
        }
        let a = try await create("A"), b = try await create("B")
        #expect(a.hasPrefix("tkeel1") && b.hasPrefix("tkeel1") && a != b)
        let mode = try FileManager.default.attributesOfItem(atPath: dir.appending("A.json"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(!(try String(contentsOfFile: dir.appending("A.json"), encoding: .utf8)).contains("correct horse"))

        // Mine to A until some coinbases have matured.
        let (first, client) = try await NodeHarness.startWithAPI(data, ["--mine-to", a])
        #expect(
            await Poll.holds(within: 120) {
                ((try? client.utxos(a).utxos.filter(\.spendable).count) ?? 0) >= 2
            })
        #expect(try await keel(["mining", "stop", "--data-dir", data]).status == 0)
        let before = try client.balance(a).balance.units

        // Send 12.34567891 with a fee of 0.0001.
        let send = try await keel(["wallet", "send", "--to", b, "--amount", "12.34567891", "--fee", "0.0001", "--data-dir", data] + wallet("A"))
        #expect(send.status == 0, "\(send.output)")
        let txid = String(send.output.split(separator: "\n").last ?? "")
        #expect(Hash256(hex: txid) != nil)
        // Spending the same coins again while the first payment waits is not possible: the
        // wallet skips outputs spent in the mempool.
        first.send(SIGTERM)
        #expect(await first.waitForExit(timeout: 10) == 0)

        // Restart mining to a third address M; the mempool survived the restart.
        let m = Address(hash: SigningKey().addressHash, network: .dev).string
        let (second, again) = try await NodeHarness.startWithAPI(data, ["--mine-to", m])
        #expect(
            await Poll.holds(within: 120) {
                ((try? again.raw("/v1/transactions/\(txid)").text) ?? "").contains("\"confirmed\"")
            })
        _ = try again.stopMining()

        #expect(try again.balance(b).balance.units == 1_234_567_891)
        #expect(try again.balance(b).balance.decimal == "12.34567891")
        #expect(try again.balance(a).balance.units == before - 1_234_567_891 - 10_000)
        let lookup = try JSONSerialization.jsonObject(with: Data(again.raw("/v1/transactions/\(txid)").body)) as? [String: Any]
        let blockHash = try #require(lookup?["block_hash"] as? String)
        let block = try JSONSerialization.jsonObject(with: Data(again.raw("/v1/blocks/\(blockHash)").body)) as? [String: Any]
        let coinbase = try #require((block?["transactions"] as? [[String: Any]])?.first)
        let output = try #require((coinbase["outputs"] as? [[String: Any]])?.first)
        #expect(output["address"] as? String == m)
        #expect((output["amount"] as? [String: Any])?["units"] as? Int == 5_000_000_000 + 10_000)

        let balanceB = try await keel(["wallet", "balance", "--json", "--data-dir", data] + wallet("B"))
        #expect(balanceB.output.contains("\"units\":1234567891"))
        let history = try await keel(["wallet", "history", "--data-dir", data] + wallet("A"))
        #expect(history.output.contains(txid))

        // Insufficient funds: a clear error with what is available, exit 1.
        let broke = try await keel(["wallet", "send", "--to", a, "--amount", "100", "--data-dir", data] + wallet("B"))
        #expect(broke.status == 1)
        #expect(broke.output.contains("insufficient funds"))
        #expect(broke.output.contains("12.34567891"))

        // A wrong passphrase: exit 1, and the passphrase is never echoed.
        let wrong = dir.appending("wrong")
        try "not the passphrase\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        let refused = try await keel([
            "wallet", "send", "--to", a, "--amount", "1", "--data-dir", data,
            "--wallet", dir.appending("B.json"), "--passphrase-file", wrong,
        ])
        #expect(refused.status == 1)
        #expect(refused.output.contains("wrong passphrase"))
        #expect(!refused.output.contains("not the passphrase"))

        second.send(SIGTERM)
        #expect(await second.waitForExit(timeout: 10) == 0)
    }
}
