import KeelChain
import KeelCore
import KeelP2P
import KeelTesting
import Testing

@Suite("P2P gossip, sync and discovery (in-process nodes on 127.0.0.1)", .keepsArtifacts)
struct GossipTests {
    @Test("a block mined on A reaches C through B; a transaction submitted on A reaches C's mempool")
    func gossipAcrossALine() async throws {
        let net = try await TestNetwork.start(3)
        try await net.line()
        let a = net[0], c = net[2]
        try await a.mine(12)
        try await net.waitForTips(timeout: 20)
        #expect(c.tip.height == 12)
        #expect(c.tip.hash == a.tip.hash)

        let (outpoint, entry) = try #require(try a.chain.matureCoinbases().first)
        let payee = SigningKey()
        let tx = BlockFactory.spend(
            [(outpoint, a.chain.miner)],
            to: [TxOutput(amount: Amount(units: entry.output.amount.units - 1_000), addressHash: payee.addressHash)])
        let txid = try a.chain.chain.submitTransaction(tx)
        let arrived = await Poll.holds(within: 20) { c.chain.chain.mempoolEntry(txid) != nil }
        #expect(arrived, "the transaction did not reach C's mempool")
        #expect(net[1].chain.chain.mempoolEntry(txid) != nil)
        // Relayed once per link: C saw the block announcement from B only.
        #expect((c.metric("keel_p2p_messages_total{command=\"block\",direction=\"received\"}") ?? 0) == 12)
        await net.stop()
    }

    @Test("headers-first sync: a fresh node catches up from genesis over several header batches")
    func headersFirstSync() async throws {
        let net = try await TestNetwork.start(2)
        try await net[0].mine(2_100)
        try await net.connect(1, 0)
        try await net.waitForTips(timeout: 120)
        #expect(net[1].tip.height == 2_100)
        #expect(try net[1].chain.chain.utxoSetHash() == net[0].chain.chain.utxoSetHash())
        #expect((net[1].metric("keel_p2p_messages_total{command=\"headers\",direction=\"received\"}") ?? 0) >= 2)
        // Blocks are asked for in batches, so an honest sync stays far below the sender's rate
        // limit for inventory messages (a release build syncs thousands of blocks a second).
        let getdata = net[1].metric("keel_p2p_messages_total{command=\"getdata\",direction=\"sent\"}") ?? 0
        #expect(getdata > 0 && getdata <= 2_100 / 8, "\(getdata) getdata messages for 2,100 blocks")
        #expect(net[0].network.health().bannedHosts == 0)
        await net.stop()
    }

    @Test("address exchange: a node that only knows A learns C from A and connects to it")
    func addressExchange() async throws {
        let net = try await TestNetwork.start(3) { i, config in
            config.discovery = true
            config.targetOutbound = i == 1 ? 2 : 0
        }
        let a = net[0], b = net[1], c = net[2]
        try await net.connect(2, 0)  // C dials A, so A hears C's listen address
        try await net.connect(1, 0)  // B knows only A
        let learned = await Poll.holds(within: 20) { b.network.health().learnedAddresses >= 1 }
        #expect(learned, "B learned no address from A")
        #expect(b.network.exportPeers().contains { $0.address == c.address && $0.source == .addr })
        let connected = await Poll.holds(within: 20) { b.network.peers().contains { $0.listenAddress == c.address } }
        #expect(connected, "B did not dial the address it learned")
        #expect(a.network.peers().count == 2)
        await net.stop()
    }

    @Test("a node is dialled once: two dials racing to the same peer leave one session, the other closed as a duplicate")
    func duplicateDial() async throws {
        let net = try await TestNetwork.start(2)
        let a = net[0], b = net[1]
        async let first = b.network.connect(to: a.address)
        async let second = b.network.connect(to: a.address)
        let (one, two) = await (first, second)
        #expect(one && two, "both dials reach a handshake")
        let single = await Poll.holds(within: 20) { a.network.peers().count == 1 && b.network.peers().count == 1 }
        #expect(single, "A has \(a.network.peers().count) sessions, B has \(b.network.peers().count)")
        // Counted just after the session is forgotten, so waited for too.
        try await Poll.until("b.metric(\"keel_peer_disconnects_total{reason=\\\"duplicate\\\"}\") == 1", timeout: 10) {
            b.metric("keel_peer_disconnects_total{reason=\"duplicate\"}") == 1
        }
        // The surviving session works: a block mined on A reaches B.
        try await a.mine(3)
        try await net.waitForTips(timeout: 20)
        #expect(b.tip.hash == a.tip.hash)
        await net.stop()
    }
}
