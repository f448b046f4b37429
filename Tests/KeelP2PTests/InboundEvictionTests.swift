import KeelP2P
import KeelTesting
import Testing

/// Inbound slots end to end, on loopback only (127.0.0.x hosts).
@Suite("Inbound slots end to end: eviction for a newcomer and the per-host limit", .keepsArtifacts)
struct InboundEvictionTests {
    @Test("end to end: a full node evicts an idle raw peer for a newcomer and keeps the peer that sends it blocks; one host gets its limit")
    func endToEnd() async throws {
        let net = try await TestNetwork.start(2) { i, config in
            if i == 0 {
                config.maxInbound = 4
                config.maxInboundPerHost = 2
            }
        }
        let node = net[0], honest = net[1]
        try await net.connect(1, 0)
        try await honest.mine(3)
        try await net.waitForTips(timeout: 20)
        var idle = [RawPeer]()
        for i in 0..<3 {
            let raw = try await RawPeer.connect(to: node.address, from: "127.0.0.\(40 + i)")
            try await raw.handshake()
            idle.append(raw)
        }
        try await Poll.until("node.network.peers().count == 4", timeout: 5) { node.network.peers().count == 4 }
        let newcomer = try await RawPeer.connect(to: node.address, from: "127.0.0.50")
        try await newcomer.handshake()
        #expect(await idle[2].waitClosed(timeout: 5), "the newest idle peer was not evicted")
        #expect(!idle[0].isClosed && !idle[1].isClosed && !newcomer.isClosed)
        try await Poll.until("node.metric(\"keel_peer_disconnects_total{reason=\\\"evicted\\\"}\") == 1", timeout: 5) {
            node.metric("keel_peer_disconnects_total{reason=\"evicted\"}") == 1
        }
        try await honest.mine(2)
        try await net.waitForTips(timeout: 20)
        // 127.0.0.50 holds one slot of its two; a second is fine, a third is turned away.
        await idle[0].close()
        try await Poll.until("node.network.connectionCount == 3", timeout: 5) { node.network.connectionCount == 3 }
        let second = try await RawPeer.connect(to: node.address, from: "127.0.0.50")
        try await second.handshake()
        let third = try await RawPeer.connect(to: node.address, from: "127.0.0.50")
        #expect(await third.waitClosed(timeout: 5))
        #expect(node.metric("keel_p2p_inbound_rejected_total{reason=\"host_limit\"}") == 1)
        await net.stop()
    }
}
