import KeelCore
import Testing

@testable import KeelP2P

// Decisions only: this file starts no node and opens no socket. The hosts are loopback
// addresses all the same: loopback and private hosts are each their own network group, so
// 127.x.y.z stands in for a LAN's peers exactly. The end-to-end tests are in InboundEvictionTests.swift.

@Suite("Inbound slots: per-host limit and eviction of the least useful peer", .keepsArtifacts)
struct InboundPolicyTests {
    static func candidate(_ id: UInt64, _ host: String, at: UInt64, ping: Double? = nil, block: UInt64? = nil) -> InboundPolicy.Candidate {
        InboundPolicy.Candidate(id: id, host: host, connectedAt: at, pingSeconds: ping, lastBlockAt: block)
    }

    @Test("a host at its limit is turned away; with room, anyone is accepted")
    func perHost() {
        let policy = InboundPolicy(maxInbound: 10, maxPerHost: 2)
        let peers = [Self.candidate(1, "127.0.0.1", at: 1), Self.candidate(2, "127.0.0.1", at: 2)]
        #expect(policy.admit(host: "127.0.0.1", inbound: peers) == .reject("host_limit"))
        #expect(policy.admit(host: "127.0.0.2", inbound: peers) == .accept)
    }

    @Test("full slots: peers that sent blocks, low pings and the longest connected are kept; the newest of the biggest group goes")
    func eviction() {
        var peers = [InboundPolicy.Candidate]()
        // Four that sent blocks, eight with good pings, then twelve idle: six old, six new in one group.
        for i in 0..<4 { peers.append(Self.candidate(UInt64(i), "127.\(i).0.1", at: 100 + UInt64(i), block: 1_000 + UInt64(i))) }
        for i in 4..<12 { peers.append(Self.candidate(UInt64(i), "127.\(i).0.1", at: 200 + UInt64(i), ping: 0.001 * Double(i))) }
        for i in 12..<18 { peers.append(Self.candidate(UInt64(i), "127.\(i).0.1", at: 300 + UInt64(i))) }
        for i in 18..<24 { peers.append(Self.candidate(UInt64(i), "127.16.0.\(i)", at: 400 + UInt64(i))) }
        let policy = InboundPolicy(maxInbound: peers.count, maxPerHost: 8)
        #expect(policy.admit(host: "127.99.0.1", inbound: peers) == .evict(23))
        // Every peer protected: nobody to evict, the newcomer is turned away.
        let keepers = Array(peers.prefix(4))
        #expect(InboundPolicy(maxInbound: 4, maxPerHost: 8).admit(host: "127.99.0.1", inbound: keepers) == .reject("limit"))
        // Peers still in their handshake are never evicted.
        let pending = (0..<3).map { InboundPolicy.Candidate(id: $0, host: "127.0.0.\($0)", connectedAt: nil, pingSeconds: nil, lastBlockAt: nil) }
        #expect(InboundPolicy(maxInbound: 3, maxPerHost: 8).admit(host: "127.99.0.1", inbound: pending) == .reject("limit"))
    }

    @Test("network groups: IPv4 /16, IPv6 /32, IPv4-mapped as IPv4 (hosts from DialPolicyTests' fixture); a loopback or LAN host is its own")
    func groups() {
        for (same, other) in [("same-v4-group", "other-v4-group"), ("same-v6-group", "other-v6-group")] {
            let groups = Set(DialPolicyTests.hosts(same).map(AddressBook.networkGroup))
            #expect(groups.count == 1, "\(same): \(groups)")
            #expect(DialPolicyTests.hosts(other).allSatisfy { !groups.contains(AddressBook.networkGroup($0)) } && !DialPolicyTests.hosts(other).isEmpty)
        }
        #expect(AddressBook.networkGroup("127.1.2.3") != AddressBook.networkGroup("127.1.2.4"))
        #expect(AddressBook.networkGroup("127.0.0.1") != AddressBook.networkGroup("127.0.0.2"))
    }
}

@Suite("Dial-backs: one at a time per peer, one per 10 s per peer, four in all", .keepsArtifacts)
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
