import KeelCore
@testable import KeelP2P
import KeelTesting
import Testing

@Suite("Inbound slots: per-host limit and eviction of the least useful peer")
struct InboundPolicyTests {
    static func candidate(_ id: UInt64, _ host: String, at: UInt64, ping: Double? = nil, block: UInt64? = nil) -> InboundPolicy.Candidate {
        InboundPolicy.Candidate(id: id, host: host, connectedAt: at, pingSeconds: ping, lastBlockAt: block)
    }

    @Test("a host at its limit is turned away; with room, anyone is accepted")
    func perHost() {
        let policy = InboundPolicy(maxInbound: 10, maxPerHost: 2)
        let peers = [Self.candidate(1, "10.0.0.1", at: 1), Self.candidate(2, "10.0.0.1", at: 2)]
        #expect(policy.admit(host: "10.0.0.1", inbound: peers) == .reject("host_limit"))
        #expect(policy.admit(host: "10.0.0.2", inbound: peers) == .accept)
    }

    @Test("full slots: peers that sent blocks, low pings and the longest connected are kept; the newest of the biggest group goes")
    func eviction() {
        var peers = [InboundPolicy.Candidate]()
        // Four that sent blocks, eight with good pings, then twelve idle: six old, six new in one group.
        for i in 0..<4 { peers.append(Self.candidate(UInt64(i), "10.\(i).0.1", at: 100 + UInt64(i), block: 1_000 + UInt64(i))) }
        for i in 4..<12 { peers.append(Self.candidate(UInt64(i), "10.\(i).0.1", at: 200 + UInt64(i), ping: 0.001 * Double(i))) }
        for i in 12..<18 { peers.append(Self.candidate(UInt64(i), "10.\(i).0.1", at: 300 + UInt64(i))) }
        for i in 18..<24 { peers.append(Self.candidate(UInt64(i), "172.16.0.\(i)", at: 400 + UInt64(i))) }
        let policy = InboundPolicy(maxInbound: peers.count, maxPerHost: 8)
        #expect(policy.admit(host: "10.99.0.1", inbound: peers) == .evict(23))
        // Every peer protected: nobody to evict, the newcomer is turned away.
        let keepers = Array(peers.prefix(4))
        #expect(InboundPolicy(maxInbound: 4, maxPerHost: 8).admit(host: "10.99.0.1", inbound: keepers) == .reject("limit"))
        // Peers still in their handshake are never evicted.
        let pending = (0..<3).map { InboundPolicy.Candidate(id: $0, host: "10.0.0.\($0)", connectedAt: nil, pingSeconds: nil, lastBlockAt: nil) }
        #expect(InboundPolicy(maxInbound: 3, maxPerHost: 8).admit(host: "10.99.0.1", inbound: pending) == .reject("limit"))
    }

    @Test("network groups: IPv4 /16, IPv6 /32, IPv4-mapped as IPv4")
    func groups() {
        #expect(InboundPolicy.networkGroup("10.1.2.3") == InboundPolicy.networkGroup("10.1.200.9"))
        #expect(InboundPolicy.networkGroup("10.1.2.3") != InboundPolicy.networkGroup("10.2.2.3"))
        #expect(InboundPolicy.networkGroup("::ffff:10.1.2.3") == InboundPolicy.networkGroup("10.1.9.9"))
        #expect(InboundPolicy.networkGroup("2001:db8:1::1") == InboundPolicy.networkGroup("2001:db8:ffff::2"))
        #expect(InboundPolicy.networkGroup("2001:db8::1") != InboundPolicy.networkGroup("2001:db9::1"))
    }

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
        #expect(await Poll.until(timeout: 5) { node.network.peers().count == 4 })
        let newcomer = try await RawPeer.connect(to: node.address, from: "127.0.0.50")
        try await newcomer.handshake()
        #expect(await idle[2].waitClosed(timeout: 5), "the newest idle peer was not evicted")
        #expect(!idle[0].isClosed && !idle[1].isClosed && !newcomer.isClosed)
        #expect(await Poll.until(timeout: 5) { node.metric("keel_peer_disconnects_total{reason=\"evicted\"}") == 1 })
        try await honest.mine(2)
        try await net.waitForTips(timeout: 20)
        // 127.0.0.50 holds one slot of its two; a second is fine, a third is turned away.
        await idle[0].close()
        #expect(await Poll.until(timeout: 5) { node.network.connectionCount == 3 })
        let second = try await RawPeer.connect(to: node.address, from: "127.0.0.50")
        try await second.handshake()
        let third = try await RawPeer.connect(to: node.address, from: "127.0.0.50")
        #expect(await third.waitClosed(timeout: 5))
        #expect(node.metric("keel_p2p_inbound_rejected_total{reason=\"host_limit\"}") == 1)
        await net.stop()
    }
}

@Suite("Dial-backs: one at a time per peer, one per 10 s per peer, four in all")
struct DialBacksTests {
    @Test("busy, rate and limit refusals, in that order; finishing frees the slot, not the rate")
    func bounds() {
        var d = DialBacks()
        #expect(d.start(for: 1, now: 0) == nil)
        #expect(d.start(for: 1, now: 1) == .busy)
        d.finish(for: 1)
        #expect(d.start(for: 1, now: 5_000) == .rate)
        #expect(d.start(for: 1, now: DialBacks.perPeerInterval) == nil)
        for peer in 2..<5 { #expect(d.start(for: UInt64(peer), now: 0) == nil) }
        #expect(d.start(for: 9, now: 0) == .limit)
        d.finish(for: 2)
        #expect(d.start(for: 9, now: 0) == nil)
        d.forget(1)
        d.finish(for: 1)
        #expect(d.start(for: 1, now: DialBacks.perPeerInterval + 1) == nil, "a peer that left keeps no rate")
    }
}
