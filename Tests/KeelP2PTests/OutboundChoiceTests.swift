import Foundation
import KeelP2P
import KeelTesting
import Testing

/// Outbound peers are the node's own choice: a peer that dialled in does not count as one, so a
/// node whose every peer dialled it still dials out (Bitcoin Core dials a node that is also
/// inbound). Seen in the healthy-node alert suite: a node whose outbound peers were dropped for
/// stalling under load kept their inbound sessions, never redialled, and OutboundPeersZero fired.
@Suite("outbound choice", .keepsArtifacts)
struct OutboundChoiceTests {
    @Test("a node whose only peer dialled in dials that peer out as well, once it knows the address")
    func inboundPeerIsDialledOut() async throws {
        let net = try await TestNetwork.start(2) { index, config in
            if index == 0 { config.targetOutbound = 1 }
        }
        defer { Task { await net.stop() } }
        try await net.connect(1, 0)
        try await Poll.until("net[0].metric(\"keel_peers{direction=\\\"inbound\\\"}\") == 1", timeout: 10) {
            net[0].metric("keel_peers{direction=\"inbound\"}") == 1
        }
        // Only now does node 0 learn where node 1 listens (as from an addr message or an import).
        _ = net[0].network.importPeers([net[1].address])
        let dialled = await Poll.holds(within: 20) { (net[0].metric("keel_peers{direction=\"outbound\"}") ?? 0) >= 1 }
        #expect(dialled, "node 0 has no outbound peer: \(net[0].network.peers().map { "\($0.direction) \($0.remoteAddress)" })")
        #expect(net[0].metric("keel_peers{direction=\"inbound\"}") == 1, "the inbound session was dropped for the outbound one")
    }
}
