import Foundation
import KeelChain
import KeelCore
import KeelP2P
import KeelTesting
import NIOCore
import NIOPosix
import Testing

@Suite("P2P bootstrap, partitions and limits", .keepsArtifacts)
struct BootstrapTests {
    /// A listener that accepts TCP connections and never says a word.
    static func silentListener() async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// A loopback port nothing listens on (bound, then closed).
    static func deadAddress() async throws -> String {
        let channel = try await BootstrapTests.silentListener()
        let port = channel.localAddress!.port!
        try await channel.close()
        return "127.0.0.1:\(port)"
    }

    @Test("partition and heal: two sides mine apart, and after healing all four agree on the most-work tip and UTXO set")
    func partitionAndHeal() async throws {
        let net = try await TestNetwork.start(4)
        try await net.connect(0, 1)
        try await net.connect(1, 2)
        try await net.connect(2, 3)
        try await net.connect(3, 0)
        try await net[0].mine(3)
        try await net.waitForTips()
        try await net.split([0, 1], [2, 3])
        try await net[0].mine(2)
        try await net[2].mine(4)
        try await net.waitForTips([0, 1])
        try await net.waitForTips([2, 3])
        #expect(net[0].tip.hash != net[2].tip.hash)
        let winner = net[2].tip
        try await net.connect(1, 2)
        try await net.connect(3, 0)
        try await net.waitForTips()
        #expect(net[0].tip == winner, "the shorter side did not reorganize onto the longer chain")
        let hashes = try net.nodes.map { try $0.chain.chain.utxoSetHash() }
        #expect(Set(hashes).count == 1)
        #expect(net[0].metric("keel_p2p_orphan_blocks") == 0)
        await net.stop()
    }

    @Test("inbound slots full of peers still in their handshake: a newcomer is turned away")
    func inboundLimit() async throws {
        var config = TestNetwork.configuration()
        config.maxInbound = 3
        let node = try await TestPeerNode.start(index: 0, configuration: config)
        var peers = [RawPeer]()
        for i in 0..<3 { peers.append(try await RawPeer.connect(to: node.address, from: RawPeer.source(i))) }
        try await Poll.until("node.network.connectionCount == 3", timeout: 5) { node.network.connectionCount == 3 }
        let extra = try await RawPeer.connect(to: node.address, from: RawPeer.source(3))
        #expect(await extra.waitClosed(timeout: 5))
        #expect(node.metric("keel_p2p_inbound_rejected_total{reason=\"limit\"}") == 1)
        #expect(peers.allSatisfy { !$0.isClosed })
        await node.stop()
    }
}
