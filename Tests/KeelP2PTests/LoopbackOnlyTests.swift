#if canImport(Glibc)
import Glibc
#endif
import KeelChain
import KeelCore
import KeelP2P
import KeelStorage
import KeelTesting
import Testing

/// Addresses off the machine, from documentation ranges (never routed) and private ranges.
/// They reach a running node only where `NetworkIsolation.isLoopbackOnly` holds, so even a
/// regressed policy cannot send a packet anywhere.
enum OffMachine {
    static let hosts = ["192.0.2.1", "198.51.100.7", "203.0.113.9", "10.1.2.3", "172.16.0.1", "192.168.1.1", "2001:db8::1", "::ffff:10.0.0.1"]
}

@Suite("Loopback only: the suites' namespace, and a dev node's stored addresses")
struct LoopbackOnlyTests {
    @Test("under make test the suites see only loopback and have no route off the machine", .enabled(if: NetworkIsolation.claimed))
    func suitesRunIsolated() {
        #expect(NetworkIsolation.interfaces() == ["lo"], "interfaces: \(NetworkIsolation.interfaces().sorted())")
        #expect(NetworkIsolation.routeError(to: "192.0.2.1") == ENETUNREACH)
        #expect(NetworkIsolation.routeError(to: "10.1.2.3") == ENETUNREACH)
        #expect(NetworkIsolation.routeError(to: "127.0.0.1") == 0, "loopback must still work")
    }

    @Test("a dev node passes over stored addresses off loopback and dials a loopback one",
          .enabled(if: NetworkIsolation.isLoopbackOnly, "hands a running node non-loopback addresses: only inside make test's namespace"))
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
        let node = try await TestPeerNode.start(index: 0, chain: chain, configuration: config)
        let connected = await Poll.until(timeout: 20) { node.metric("keel_p2p_dials_total{result=\"connected\"}") == 1 }
        #expect(connected, "the loopback address was not dialled")
        let dials = Exposition.total("keel_p2p_dials_total", in: node.metricsText())
        #expect(dials == 1, "dialled \(dials) times: an address off loopback was tried")
        #expect(node.network.exportPeers().count == OffMachine.hosts.count + 1, "stored records are kept, only passed over")
        await node.stop()
        await listener.stop()
    }
}
