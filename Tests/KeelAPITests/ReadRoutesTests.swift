import Foundation
import Hummingbird
import HummingbirdTesting
import KeelAPI
import KeelCore
import KeelTesting
import Testing

@Suite("API: read routes", .keepsArtifacts)
struct ReadRoutesTests {
    @Test("health, readiness, metrics and status")
    func basics() async throws {
        try await withAPI { client, backend, _ in
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/ready", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.json["ready"] as? Bool == true)
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                #expect(r.text.contains("# HELP keel_chain_height"))
            }
            try await client.execute(uri: "/v1/status", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.json["height"] as? Int == 16)
                #expect(r.json["network"] as? String == "dev")
                #expect((r.json["tip"] as? String) == backend.testChain.chain.tip.hash.hex)
            }
            backend.phaseName.withLock { $0 = "reindexing" }
            try await client.execute(uri: "/ready", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect((r.json["reasons"] as? [String])?.first?.contains("reindexing") == true)
            }
            try await client.execute(uri: "/v1/status", method: .get) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.errorCode == "not_ready")
            }
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test("blocks by height and hash; unknown and malformed ids")
    func blocks() async throws {
        try await withAPI { client, backend, _ in
            let hash = try #require(try backend.testChain.store.hash(atHeight: 3))
            try await client.execute(uri: "/v1/blocks/3", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.json["hash"] as? String == hash.hex)
                #expect(r.json["confirmations"] as? Int == 14)
                #expect((r.json["transactions"] as? [Any])?.count == 1)
            }
            try await client.execute(uri: "/v1/blocks/\(hash.hex)", method: .get) { #expect($0.json["height"] as? Int == 3) }
            try await client.execute(uri: "/v1/blocks/999", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(r.errorCode == "block_not_found")
            }
            try await client.execute(uri: "/v1/blocks/\(String(repeating: "ab", count: 32))", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/v1/blocks/xyz", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(r.errorCode == "bad_block_id")
            }
        }
    }

    @Test("transactions from the chain and the mempool; bad and unknown ids")
    func transactions() async throws {
        try await withAPI { client, backend, _ in
            let a = backend.testChain
            let coinbase = try #require(try a.chain.block(atHeight: 2)).transactions[0].txid
            try await client.execute(uri: "/v1/transactions/\(coinbase.hex)", method: .get) { r in
                #expect(r.status == .ok)
                #expect(r.json["status"] as? String == "confirmed")
                #expect(r.json["block_height"] as? Int == 2)
            }
            let coin = try #require(try a.matureCoinbases().first)
            let tx = BlockFactory.spend([(coin.0, a.miner)], to: [TxOutput(amount: Amount(units: coin.1.output.amount.units - 700), addressHash: .burn)])
            try a.chain.submitTransaction(tx)
            try await client.execute(uri: "/v1/transactions/\(tx.txid.hex)", method: .get) { r in
                #expect(r.json["status"] as? String == "mempool")
                #expect((r.json["fee"] as? [String: Any])?["units"] as? Int == 700)
            }
            try await client.execute(uri: "/v1/transactions/nothex", method: .get) { #expect($0.errorCode == "bad_txid") }
            try await client.execute(uri: "/v1/transactions/\(String(repeating: "cd", count: 32))", method: .get) { r in
                #expect(r.status == .notFound)
                #expect(r.errorCode == "transaction_not_found")
            }
            try await client.execute(uri: "/v1/mempool", method: .get) { r in
                #expect(r.json["transactions"] as? Int == 1)
                #expect((r.json["entries"] as? [[String: Any]])?.first?["txid"] as? String == tx.txid.hex)
            }
            try await client.execute(uri: "/v1/mempool?limit=0", method: .get) { #expect($0.errorCode == "bad_limit") }
        }
    }

    @Test("balance and paged UTXOs by address, in either case; bad addresses, limits and cursors")
    func addresses() async throws {
        try await withAPI { client, backend, _ in
            let address = Address(hash: backend.testChain.miner.addressHash, network: .dev).string
            for written in [address, address.uppercased()] {
                try await client.execute(uri: "/v1/addresses/\(written)/balance", method: .get) { r in
                    #expect(r.status == .ok)
                    #expect(r.json["utxo_count"] as? Int == 16)
                    #expect((r.json["balance"] as? [String: Any])?["decimal"] as? String == "800.00000000")
                    #expect(r.json["address"] as? String == address)
                }
            }
            let first = try await client.execute(uri: "/v1/addresses/\(address)/utxos?limit=10", method: .get) { $0.json }
            #expect((first["utxos"] as? [Any])?.count == 10)
            let next = try #require(first["next"] as? String)
            try await client.execute(uri: "/v1/addresses/\(address)/utxos?limit=10&after=\(next)", method: .get) { r in
                #expect((r.json["utxos"] as? [Any])?.count == 6)
                #expect(r.json["next"] == nil || r.json["next"] is NSNull)
            }
            try await client.execute(uri: "/v1/addresses/keel1qqqq/balance", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(r.errorCode == "bad_address")
            }
            let main = Address(hash: backend.testChain.miner.addressHash, network: .main).string
            try await client.execute(uri: "/v1/addresses/\(main)/balance", method: .get) { r in
                #expect(r.errorCode == "bad_address")
                #expect((r.json["error"] as? [String: Any])?["message"] as? String ?? "" != "")
            }
            try await client.execute(uri: "/v1/addresses/\(address)/utxos?limit=5000", method: .get) { #expect($0.errorCode == "bad_limit") }
            try await client.execute(uri: "/v1/addresses/\(address)/utxos?after=nope", method: .get) { #expect($0.errorCode == "bad_cursor") }
        }
    }

    @Test("mining status and the template for external miners (a POST with the token: it replaces the miner's cached template)")
    func template() async throws {
        try await withAPI { client, backend, token in
            try await client.execute(uri: "/v1/mining", method: .get) { #expect($0.json["active"] as? Bool == false) }
            let payee = Address(hash: SigningKey().addressHash, network: .dev).string
            try await client.execute(uri: "/v1/mining/template", method: .post) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/v1/mining/template", method: .get) { r in
                #expect(r.status == .methodNotAllowed && r.headers[.allow] == "POST")
            }
            try await client.execute(
                uri: "/v1/mining/template", method: .post, headers: bearer(token),
                body: ByteBuffer(string: "{\"address\": \"\(payee)\"}")
            ) { r in
                #expect(r.status == .ok)
                #expect(r.json["pay_to"] as? String == payee)
                #expect(r.json["height"] as? Int == 17)
                let block = try Block(decoding: Hex.decode(r.json["block_hex"] as? String ?? "") ?? [])
                #expect(block.header.previousHash == backend.testChain.chain.tip.hash)
            }
            try await client.execute(
                uri: "/v1/mining/template", method: .post, headers: bearer(token),
                body: ByteBuffer(string: "{\"address\": \"bogus\"}")
            ) { #expect($0.errorCode == "bad_address") }
            try await client.execute(uri: "/v1/nothing", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test("requests are counted under their route template and status class; unknown paths share one label")
    func requestMetrics() async throws {
        try await withAPI { client, backend, _ in
            try await client.execute(uri: "/v1/status", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/blocks/zz", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/no/such/\(UUID())", method: .get) { #expect($0.status == .notFound) }
            let text = String(decoding: backend.metrics.render(), as: UTF8.self)
            #expect(text.contains("keel_api_requests_total{route=\"GET /v1/status\",status_class=\"2xx\"} 1"))
            #expect(text.contains("keel_api_requests_total{route=\"GET /v1/blocks/{id}\",status_class=\"4xx\"} 1"))
            #expect(text.contains("keel_api_requests_total{route=\"unmatched\",status_class=\"4xx\"} 1"))
        }
    }
}
