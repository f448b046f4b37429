import KeelChain
import KeelCore
import KeelP2P
import KeelStorage
import KeelTesting
import Testing

/// Stand-ins for addresses off the machine: loopback addresses outside the test dial prefix
/// (`127.0.0.`), which the node's policy then treats as it treats public and private ones. A
/// running node is never handed an address off loopback; `DialPolicyTests` shows, without any
/// node, that real public and private addresses are refused the same way.
enum OffMachine {
    static let testPrefix = "127.0.0."
    static let hosts = ["127.9.0.1", "127.9.0.2", "127.9.0.3", "127.9.0.4", "127.9.0.5", "127.9.0.6", "127.9.0.7", "::ffff:127.9.0.8"]
}

@Suite("Loopback only: a dev node's stored addresses", .keepsArtifacts)
struct LoopbackOnlyTests {
    @Test("a dev node passes over stored addresses outside its dial scope and dials one inside it")
    func storedAddressesPassedOver() async throws {
        let listener = try await TestPeerNode.start(index: 1, configuration: TestNetwork.configuration())
        let (host, port) = try #require(P2PConfiguration.parse(listener.address))
        let chain = try TestChain(directory: TemporaryDirectory("stored"), clock: OffsetClock(offset: 3_600_000))
        var batch = WriteBatch()
        // Seen more recently than the loopback record, so the dialler would try them first.
        for (i, host) in OffMachine.hosts.enumerated() {
            let source: PeerRecord.Source = [.addr, .imported, .inbound][i % 3]
            batch.putPeer(PeerRecord(host: host, port: 9333, source: source, lastSeen: 2_000_000_000_000))
        }
        batch.putPeer(PeerRecord(host: host, port: port, source: .addr, lastSeen: 1))
        try chain.store.write(batch, sync: true)
        var config = TestNetwork.configuration()
        config.targetOutbound = 1
        config.testDialPrefix = OffMachine.testPrefix
        let node = try await TestPeerNode.start(index: 0, chain: chain, configuration: config)
        let connected = await Poll.holds(within: 20) { node.metric("keel_p2p_dials_total{result=\"connected\"}") == 1 }
        #expect(connected, "the loopback address was not dialled")
        let dials = Exposition.total("keel_p2p_dials_total", in: node.metricsText())
        #expect(dials == 1, "dialled \(dials) times: an address outside the scope was tried")
        #expect(node.network.exportPeers().count == OffMachine.hosts.count + 1, "stored records are kept, only passed over")
        await node.stop()
        await listener.stop()
    }
}
