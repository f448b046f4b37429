import Foundation
import Hummingbird
import HummingbirdTesting
import KeelAPI
import KeelCore
import KeelTesting
import Testing

@Suite("API: routes that change state", .keepsArtifacts)
struct ChangeRoutesTests {
    @Test("every change route refuses a missing or wrong token with 401 and never echoes a token")
    func auth() async throws {
        try await withAPI { client, _, token in
            for uri in ["/v1/transactions", "/v1/mining/start", "/v1/mining/stop", "/v1/mining/submit"] {
                try await client.execute(uri: uri, method: .post, body: hexBody("00")) { r in
                    #expect(r.status == .unauthorized)
                    #expect(r.errorCode == "unauthorized")
                    #expect(r.headers[.wwwAuthenticate] != nil)
                }
                try await client.execute(uri: uri, method: .post, headers: bearer("wrong-\(token)"), body: hexBody("00")) { r in
                    #expect(r.status == .unauthorized)
                    #expect(!r.text.contains(token))
                }
            }
        }
    }

    @Test("submit a transaction: accepted, then double spend, bad hex, malformed, bad signature, overspend, oversized")
    func submitTransaction() async throws {
        try await withAPI { client, backend, token in
            let a = backend.testChain
            let coins = try a.matureCoinbases()
            let tx = BlockFactory.spend([(coins[0].0, a.miner)], to: [TxOutput(amount: .coins(49), addressHash: .burn)])
            try await client.execute(uri: "/v1/transactions", method: .post, headers: bearer(token), body: hexBody(Hex.encode(tx.encoded))) { r in
                #expect(r.status == .ok)
                #expect(r.json["txid"] as? String == tx.txid.hex)
            }
            let rival = BlockFactory.spend([(coins[0].0, a.miner)], to: [TxOutput(amount: .coins(48), addressHash: .burn)])
            try await client.execute(uri: "/v1/transactions", method: .post, headers: bearer(token), body: hexBody(Hex.encode(rival.encoded))) { r in
                #expect(r.status == .conflict)
                #expect(r.errorCode == "mempool_conflict")
            }
            try await client.execute(uri: "/v1/transactions", method: .post, headers: bearer(token), body: hexBody(Hex.encode(tx.encoded))) { r in
                #expect(r.errorCode == "already_known")
            }
            try await client.execute(uri: "/v1/transactions", method: .post, headers: bearer(token), body: hexBody("zz")) { r in
                #expect(r.status == .badRequest)
                #expect(r.errorCode == "bad_hex")
            }
            try await client.execute(uri: "/v1/transactions", method: .post, headers: bearer(token), body: hexBody("0102")) { r in
                #expect(r.errorCode == "malformed_transaction")
            }
            try await client.execute(uri: "/v1/transactions", method: .post, headers: bearer(token), body: ByteBuffer(string: "{\"nope\":1}")) { r in
                #expect(r.errorCode == "bad_json")
            }
            var forged = BlockFactory.spend([(coins[1].0, a.miner)], to: [TxOutput(amount: .coins(1), addressHash: .burn)])
            forged.inputs[0].signature[9] ^= 1
            try await client.execute(uri: "/v1/transactions", method: .post, headers: bearer(token), body: hexBody(Hex.encode(forged.encoded))) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.errorCode == "bad_signature")
            }
            let greedy = BlockFactory.spend([(coins[2].0, a.miner)], to: [TxOutput(amount: .coins(51), addressHash: .burn)])
            try await client.execute(uri: "/v1/transactions", method: .post, headers: bearer(token), body: hexBody(Hex.encode(greedy.encoded))) { r in
                #expect(r.errorCode == "overspend")
            }
            let huge = ByteBuffer(string: "{\"hex\":\"" + String(repeating: "00", count: 3 << 20) + "\"}")
            try await client.execute(uri: "/v1/transactions", method: .post, headers: bearer(token), body: huge) { r in
                #expect(r.status == .contentTooLarge)
                #expect(r.errorCode == "payload_too_large")
            }
            #expect(a.chain.mempoolSize.count == 1)
        }
    }

    @Test("mining start and stop: idempotent, bad thread counts refused")
    func miningControl() async throws {
        try await withAPI { client, backend, token in
            try await client.execute(uri: "/v1/mining/start", method: .post, headers: bearer(token), body: ByteBuffer(string: "{\"threads\":1}")) { r in
                #expect(r.status == .ok)
                #expect(r.json["active"] as? Bool == true)
                #expect(r.json["threads"] as? Int == 1)
            }
            try await client.execute(uri: "/v1/mining/start", method: .post, headers: bearer(token)) { #expect($0.json["active"] as? Bool == true) }
            try await client.execute(uri: "/v1/mining/start", method: .post, headers: bearer(token), body: ByteBuffer(string: "{\"threads\":0}")) { r in
                #expect(r.errorCode == "bad_threads")
            }
            try await client.execute(uri: "/v1/mining/start", method: .post, headers: bearer(token), body: ByteBuffer(string: "{threads")) { r in
                #expect(r.errorCode == "bad_json")
            }
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/mining/stop", method: .post, headers: bearer(token)) { r in
                    #expect(r.status == .ok)
                    #expect((r.json["mining"] as? [String: Any])?["active"] as? Bool == false)
                }
            }
            #expect(!backend.miner.status.active)
        }
    }

    @Test("submit a block from an external miner: connected, duplicate, malformed, invalid")
    func submitBlock() async throws {
        try await withAPI { client, backend, token in
            let template = try await client.execute(uri: "/v1/mining/template", method: .post, headers: bearer(token)) { $0.json }
            var block = try Block(decoding: Hex.decode(template["block_hex"] as? String ?? "") ?? [])
            BlockFactory.grind(&block)
            for expected in ["connected", "duplicate"] {
                try await client.execute(uri: "/v1/mining/submit", method: .post, headers: bearer(token), body: hexBody(Hex.encode(block.encoded))) { r in
                    #expect(r.status == .ok)
                    #expect(r.json["status"] as? String == expected)
                }
            }
            #expect(backend.testChain.chain.tip.hash == block.hash)
            try await client.execute(uri: "/v1/mining/submit", method: .post, headers: bearer(token), body: hexBody("00ff")) { r in
                #expect(r.errorCode == "malformed_block")
            }
            var lazy = backend.testChain.makeBlock()
            BlockFactory.antiGrind(&lazy)
            try await client.execute(uri: "/v1/mining/submit", method: .post, headers: bearer(token), body: hexBody(Hex.encode(lazy.encoded))) { r in
                #expect(r.status == .unprocessableContent)
                #expect(r.errorCode == "bad_proof_of_work")
            }
        }
    }
}
