import Foundation
import KeelChain
import KeelCore
import KeelP2P
import KeelTesting
import NIOCore
import NIOPosix
import Testing

/// Tests whose assertions are about time or load (a dial within the timeout plus a second, 500
/// handshakes at once). `make test` runs this suite on its own after the rest, so two shared
/// cores busy with the other suites cannot skew its clocks.
@Suite("P2P timing and load (run alone)", .serialized, .keepsArtifacts)
struct P2PTimingTests {
    @Test("the first seed accepts TCP but never answers; the node connects through the second within the timeout plus a second")
    func silentSeedFallsBack() async throws {
        let silent = try await BootstrapTests.silentListener()
        let good = try await TestPeerNode.start(index: 1, configuration: TestNetwork.configuration())
        let timeout = 2.0
        var config = TestNetwork.configuration()
        config.seeds = ["127.0.0.1:\(silent.localAddress!.port!)", good.address]
        config.connectTimeout = timeout
        config.targetOutbound = 1
        let started = Date()
        let node = try await TestPeerNode.start(index: 0, configuration: config)
        let connected = await Poll.holds(within: timeout + 5) { node.network.peers().count == 1 }
        let elapsed = Date().timeIntervalSince(started)
        #expect(connected)
        #expect(elapsed < timeout + 1, "connected after \(elapsed) s")
        let health = node.network.health()
        #expect(health.seeds.first { $0.address == good.address }?.reachable == true)
        #expect(health.seeds.first { $0.address != good.address }?.reachable == false)
        #expect(node.metric("keel_p2p_dials_total{result=\"handshake_failed\"}") == 1)
        await node.stop()
        await good.stop()
        try await silent.close()
    }

    @Test("a flood of pings over the control rate is disconnected and banned for flood; a peer within it is not")
    func pingFlood() async throws {
        let node = try await TestPeerNode.start(index: 0, configuration: TestNetwork.configuration())
        // Within the burst (200 control messages): served.
        let calm = try await RawPeer.connect(to: node.address, from: "127.0.0.2")
        try await calm.handshake()
        try await calm.send(bytes: (0..<150).flatMap { Message.ping(UInt64($0)).frame.encoded(magic: Network.dev.magic) })
        // 600 in one write: over the burst faster than the bucket refills (50/s). The node may
        // hang up mid-flood; that is the point.
        let flood = try await RawPeer.connect(to: node.address, from: "127.0.0.3")
        try await flood.handshake()
        try? await flood.send(bytes: (0..<600).flatMap { Message.ping(UInt64($0)).frame.encoded(magic: Network.dev.magic) })
        #expect(await flood.waitClosed(timeout: 10), "the node kept the flooding connection")
        try await Poll.until("node.metric(\"keel_peer_bans_total{reason=\\\"flood\\\"}\") == 1", timeout: 5) {
            node.metric("keel_peer_bans_total{reason=\"flood\"}") == 1
        }
        let again = try await RawPeer.connect(to: node.address, from: "127.0.0.3")
        #expect(await again.waitClosed(timeout: 5), "the banned host got back in")
        #expect(!calm.isClosed, "a peer within the burst was disconnected")
        #expect(node.network.health().bannedHosts == 1)
        await node.stop()
    }

    @Test("every seed down: no call hangs, the status says so, and dials are retried with backoff")
    func allSeedsDown() async throws {
        var config = TestNetwork.configuration()
        config.seeds = [try await BootstrapTests.deadAddress(), try await BootstrapTests.deadAddress()]
        config.connectTimeout = 1
        config.targetOutbound = 2
        let node = try await TestPeerNode.start(index: 0, configuration: config)
        let retried = await Poll.holds(within: 15) { (node.metric("keel_p2p_dials_total{result=\"refused\"}") ?? 0) >= 4 }
        #expect(retried, "dials were not retried")
        let health = node.network.health()
        #expect(health.status == "isolated")
        #expect(health.retryDelaySeconds >= 2, "the retry delay did not back off")
        #expect(health.seeds.allSatisfy { $0.reachable == false && $0.lastError != nil })
        #expect(!node.network.readinessProblems().isEmpty)
        #expect(node.metric("keel_p2p_seeds_reachable") == 0)
        // A manual connect to a dead address answers within the connect timeout.
        let started = Date()
        #expect(await node.network.connect(to: try await BootstrapTests.deadAddress()) == false)
        #expect(Date().timeIntervalSince(started) < config.connectTimeout + 1)
        await node.stop()
    }

    @Test("500 concurrent inbound connections complete the handshake and stay served")
    func fiveHundredInbound() async throws {
        let node = try await TestPeerNode.start(index: 0, configuration: TestNetwork.configuration())
        let count = 500
        let peers = try await withThrowingTaskGroup(of: RawPeer.self) { group in
            for i in 0..<count {
                group.addTask {
                    let raw = try await RawPeer.connect(to: node.address, from: RawPeer.source(i))
                    try await raw.handshake(timeout: 60)
                    return raw
                }
            }
            return try await group.reduce(into: [RawPeer]()) { $0.append($1) }
        }
        try await Poll.until("node.network.peers().count == count", timeout: 30) { node.network.peers().count == count }
        for (i, peer) in peers.enumerated() { try await peer.send(.ping(UInt64(1_000_000 + i))) }
        let answered = await Poll.holds(within: 30) {
            peers.enumerated().allSatisfy { i, peer in
                peer.pongs.withLock { pongs in
                    for case .pong(let n) in peer.messages() { pongs.insert(n) }
                    return pongs.contains(UInt64(1_000_000 + i))
                }
            }
        }
        #expect(answered, "not every connection answered its ping")
        try await Poll.until("node.metric(\"keel_peers{direction=\\\"inbound\\\"}\") == Double(count)", timeout: 5) {
            node.metric("keel_peers{direction=\"inbound\"}") == Double(count)
        }
        for peer in peers { await peer.close() }
        try await Poll.until("node.network.peers().isEmpty", timeout: 30) { node.network.peers().isEmpty }
        await node.stop()
    }
}
