import Foundation
import KeelClient
import KeelCore
import KeelFiles
import KeelP2P
import KeelTesting
import Testing

@Suite("keel-node P2P as real processes on 127.0.0.1", .serialized, .keepsArtifacts)
struct NodeP2PProcessTests {
    @Test("a node catching up times no propagation for the blocks it fetches; blocks arriving at the tip are timed")
    func propagationOnlyAtTheTip() async throws {
        let dirA = TemporaryDirectory("propA"), dirB = TemporaryDirectory("propB")
        let a = try await NodeProcess.start(directory: dirA.path, ["--threads", "1"])
        defer { a.process.send(SIGKILL) }
        try await Poll.until("(a.height ?? 0) >= 300", timeout: 120, interval: 0.2) { (a.height ?? 0) >= 300 }
        _ = try a.client.stopMining()
        let b = try await NodeProcess.start(directory: dirB.path)
        defer { b.process.send(SIGKILL) }
        try b.connect(to: a)
        try await NodeProcess.waitForTips([a, b])
        let synced = b.metric("keel_block_propagation_seconds_count") ?? -1
        #expect(synced >= 0 && synced <= 2, "\(synced) of \((b.height ?? 0)) caught-up blocks timed as propagation")
        _ = try a.client.startMining(threads: 1)
        let target = (a.height ?? 0) + 5
        try await Poll.until("(b.height ?? 0) >= target", timeout: 60, interval: 0.1) { (b.height ?? 0) >= target }
        #expect((b.metric("keel_block_propagation_seconds_count") ?? 0) >= synced + 4, "new blocks at the tip were not timed")
        await b.stop()
        await a.stop()
    }

    @Test("imported peers survive a restart: B reconnects without flags and follows A's next blocks")
    func importedPeersSurviveRestart() async throws {
        let dirA = TemporaryDirectory("peersA"), dirB = TemporaryDirectory("peersB"), bundle = TemporaryDirectory("bundle")
        let a = try await NodeProcess.start(directory: dirA.path, ["--threads", "1"])
        var b = try await NodeProcess.start(directory: dirB.path)
        let exported = try await Poll.run(Binaries.path("keel"), ["peers", "export", "--data-dir", dirA.path])
        #expect(exported.status == 0)
        let file = bundle.path + "/bundle.json"
        try exported.output.write(toFile: file, atomically: true, encoding: .utf8)
        #expect(exported.output.contains(a.p2pAddress), "the bundle lacks A's own address")
        let imported = try await Poll.run(Binaries.path("keel"), ["peers", "import", file, "--data-dir", dirB.path])
        #expect(imported.status == 0, "\(imported.output)")
        #expect(imported.output.contains("1 new"))
        try await NodeProcess.waitForTips([a, b])
        #expect(try b.client.peers().contains { $0.listenAddress == a.p2pAddress })

        #expect(await b.stop() == 0)
        b = try await NodeProcess.start(directory: dirB.path)  // no --connect, no --seed
        let reconnected = await Poll.holds(within: 30) { (try? b.client.peers().count) ?? 0 >= 1 }
        #expect(reconnected, "B did not redial the imported address after its restart")
        let heightAtRestart = a.height ?? 0
        let followed = await Poll.holds(within: 60, interval: 0.1) { (b.height ?? 0) >= heightAtRestart + 5 }
        #expect(followed, "B did not follow A's next blocks")
        let metrics = try b.client.metrics()
        #expect(metrics.contains("keel_peers{direction=\"outbound\"} 1"))
        #expect(metrics.contains("keel_blocks_connected_total{origin=\"peer\"}"))
        await b.stop()
        await a.stop()
    }

    @Test("a dev node fed addresses outside its dial scope, by addr and by import, dials none of them and dials one inside it")
    func devNodeKeepsToLoopback() async throws {
        let dirA = TemporaryDirectory("loopA"), dirB = TemporaryDirectory("loopB")
        // Loopback stand-ins for addresses off the machine: outside the test dial prefix, the
        // policy refuses them as it refuses public and private ones (DialPolicyTests, no node).
        let a = try await NodeProcess.start(directory: dirA.path, ["--test-dial-prefix", "127.0.0."])
        let b = try await NodeProcess.start(directory: dirB.path, ["--max-outbound", "0"])
        let offMachine = ["127.9.0.1", "127.9.0.2", "127.9.0.3", "127.9.0.4", "127.9.0.5", "127.9.0.6", "127.9.0.7", "::ffff:127.9.0.8"]
        let raw = try await RawPeer.connect(to: a.p2pAddress, from: "127.0.0.2")
        try await raw.handshake()
        try await raw.send(.addr(offMachine.map { PeerAddress(host: $0, port: 9333, lastSeen: 0) }))
        let learned = await Poll.holds(within: 20) { a.metric("keel_p2p_addresses_refused_total{source=\"addr\"}") == Double(offMachine.count) }
        #expect(learned, "refused by addr: \(String(describing: a.metric("keel_p2p_addresses_refused_total{source=\"addr\"}")))")

        let entries = offMachine.map { host in "{\"address\": \"\(host.contains(":") ? "[\(host)]" : host):9444\"}" }
        let bundle = """
            {"format": "keel-peers/1", "network": "dev", "genesis": "\(Network.dev.genesis.hash.hex)", "exportedAt": 0,
             "peers": [\(entries.joined(separator: ", "))]}
            """
        let imported = try a.client.importPeers(bundle: Array(bundle.utf8))
        #expect(imported.refused == offMachine.count && imported.added == 0, "\(imported)")
        #expect(a.metric("keel_p2p_addresses_refused_total{source=\"imported\"}") == Double(offMachine.count))

        // A loopback address learned last is dialled: the dialler ran, and passed nothing else.
        let (host, port) = try #require(P2PConfiguration.parse(b.p2pAddress))
        try await raw.send(.addr([PeerAddress(host: host, port: port, lastSeen: 0)]))
        let dialled = await Poll.holds(within: 30) { a.metric("keel_p2p_dials_total{result=\"connected\"}") == 1 }
        #expect(dialled, "the loopback address was not dialled")
        let metrics = try a.client.metrics()
        #expect(
            Exposition.total("keel_p2p_dials_total", in: metrics) == 1,
            "dials by result: \(metrics.split(separator: "\n").filter { $0.hasPrefix("keel_p2p_dials_total") })")
        let book = try a.client.exportPeers()
        let kept = offMachine.filter { book.contains("\"\($0)") || book.contains("[\($0)]") }
        #expect(kept.isEmpty, "kept in the address book: \(kept)")
        await raw.close()
        await b.stop()
        await a.stop()
    }

    @Test("restart during sync: a syncing node SIGKILLed mid-way resumes and reaches the tip")
    func restartDuringSync() async throws {
        let dirA = TemporaryDirectory("syncA"), dirB = TemporaryDirectory("syncB")
        let count = 5_000
        try await Blocking.run {
            let fixture = try TestChain(directory: dirA)
            try fixture.premine(count)
            fixture.close()
        }
        let a = try await NodeProcess.start(directory: dirA.path, ["--max-tip-age", "100000"])
        var b = try await NodeProcess.start(directory: dirB.path, ["--connect", a.p2pAddress, "--log-level", "debug"])
        let midway = await Poll.holds(within: 120, interval: 0.05) { (b.height ?? 0) >= 500 }
        #expect(midway, "B never started syncing")
        await b.kill()
        let killedAt = NodeHarness.committedHeights(b.process.output).last ?? 0
        #expect(killedAt < UInt64(count), "B finished before the kill; the test needs a longer chain")
        b = try await NodeProcess.start(directory: dirB.path, ["--connect", a.p2pAddress, "--log-level", "debug"])
        try await NodeProcess.waitForTips([a, b], timeout: 180)
        #expect(b.height == UInt64(count))
        let resumedFrom = NodeHarness.startupHeight(b.process.output) ?? 0
        #expect(resumedFrom > 0, "B restarted from genesis instead of its committed tip")
        await b.stop()
        await a.stop()
    }

    @Test("process harness: connect, split, mine on both sides, join; the longer chain wins everywhere")
    func splitAndJoinProcesses() async throws {
        let dirs = (0..<3).map { TemporaryDirectory("split\($0)") }
        var nodes = [NodeProcess]()
        for dir in dirs { nodes.append(try await NodeProcess.start(directory: dir.path, ["--max-outbound", "0"])) }
        try nodes[1].connect(to: nodes[0])
        try nodes[2].connect(to: nodes[1])
        _ = try nodes[0].client.startMining(threads: 1)
        let grown = await Poll.holds(within: 30) { (nodes[2].height ?? 0) >= 5 }
        #expect(grown)
        _ = try nodes[0].client.stopMining()
        try await NodeProcess.waitForTips(nodes)
        try await NodeProcess.split([nodes[0]], [nodes[1], nodes[2]])
        let base = nodes[0].height ?? 0
        _ = try nodes[0].client.startMining(threads: 1)
        _ = try nodes[2].client.startMining(threads: 1)
        let apart = await Poll.holds(within: 30) { (nodes[0].height ?? 0) >= base + 3 && (nodes[1].height ?? 0) >= base + 3 }
        #expect(apart)
        _ = try nodes[0].client.stopMining()
        // Equal work would keep each side on its own tip (first seen wins): make the right
        // side strictly longer.
        let left = nodes[0].height ?? 0
        let ahead = await Poll.holds(within: 30) { (nodes[2].height ?? 0) >= left + 2 }
        #expect(ahead)
        _ = try nodes[2].client.stopMining()
        try await NodeProcess.waitForTips([nodes[1], nodes[2]])
        #expect(nodes[0].status()?.tip != nodes[1].status()?.tip)
        let winner = nodes[2].status()?.tip
        try nodes[1].connect(to: nodes[0])
        try await NodeProcess.waitForTips(nodes)
        #expect(nodes[0].status()?.tip == winner, "node 0 did not move to the longer chain")
        for node in nodes { await node.stop() }
    }

    @Test("keel network health and verify on connected nodes; /ready names an unreachable seed")
    func networkCommands() async throws {
        let dirA = TemporaryDirectory("netA"), dirB = TemporaryDirectory("netB"), dirC = TemporaryDirectory("netC")
        let a = try await NodeProcess.start(directory: dirA.path, ["--threads", "1"])
        let c = try await NodeProcess.start(directory: dirC.path, ["--connect", a.p2pAddress])
        let b = try await NodeProcess.start(directory: dirB.path, ["--seed", a.p2pAddress, "--health-interval", "1"])
        // B learns C's address from A and reaches it; then every discovery step passes.
        let learned = await Poll.holds(within: 30) { (try? b.client.networkHealth().learnedAddresses) ?? 0 >= 1 }
        #expect(learned)
        let health = try await Poll.run(Binaries.path("keel"), ["network", "health", "--data-dir", dirB.path])
        #expect(health.status == 0, "\(health.output)")
        #expect(health.output.contains("\(a.p2pAddress): reachable"))
        let verify = try await Poll.run(Binaries.path("keel"), ["network", "verify", "--data-dir", dirB.path])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("pass  dial_back"))
        await b.stop()
        await c.stop()
        await a.stop()

        // A node whose only seed is down says so, and is not ready.
        let dirD = TemporaryDirectory("netD")
        let lonely = try await NodeProcess.start(directory: dirD.path, ["--seed", a.p2pAddress, "--connect-timeout", "1"])
        let isolated = await Poll.holds(within: 30) { (try? lonely.client.networkHealth().status) == "isolated" }
        #expect(isolated)
        let ready = try lonely.client.raw("/ready")
        #expect(ready.status == 503)
        #expect(ready.text.contains("no peers"))
        let down = try await Poll.run(Binaries.path("keel"), ["network", "health", "--data-dir", lonely.directory])
        #expect(down.status == 1)
        #expect(down.output.contains("unreachable"))
        await lonely.stop()
    }
}
