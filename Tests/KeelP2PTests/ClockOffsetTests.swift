import Foundation
import KeelCore
import KeelP2P
import KeelTesting
import Testing

/// Peers send their clock in `version`; the node exports the median offset for ClockSkewHigh.
@Suite("peer clock offset from the handshake", .keepsArtifacts)
struct ClockOffsetTests {
    @Test("the median of the peers' clock offsets is exported; one peer far off does not move it; without peers it is 0")
    func medianOffset() async throws {
        // The node on the real clock (test nodes default to one an hour ahead, for premined chains).
        let node = try await TestPeerNode.start(index: 0, configuration: TestNetwork.configuration(), clock: SystemClock())
        let offset = { node.metric("keel_p2p_peer_clock_offset_seconds") ?? .nan }
        #expect(offset() == 0)
        let ahead = try await RawPeer.connect(to: node.address, from: "127.0.0.60")
        try await ahead.handshake(clockOffset: 120)
        // The offset is measured on receipt, so a handshake slowed by a loaded machine lowers it by
        // its latency: the tolerance is wide, still far from the near peers' 0 and 1.
        try await Poll.until("an offset near 120 s", timeout: 10, value: offset, satisfies: { abs($0 - 120) < 20 })
        // Two more close to our clock: the median follows them, not the one far ahead.
        var near = [RawPeer]()
        for i in 0..<2 {
            let peer = try await RawPeer.connect(to: node.address, from: "127.0.0.\(61 + i)")
            try await peer.handshake(clockOffset: Double(i))
            near.append(peer)
        }
        try await Poll.until("an offset near 0 (the median)", timeout: 10, value: offset, satisfies: { abs($0) < 20 })
        for peer in near + [ahead] { await peer.close() }
        try await Poll.until("an offset of 0 with no peer", timeout: 10, value: offset, satisfies: { $0 == 0 })
        await node.stop()
    }
}
