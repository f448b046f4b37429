import KeelChain
import KeelCore
import KeelP2P
import KeelTesting
import Testing

/// The import pipeline: blocks arriving together are validated and written together, and what
/// one of them does wrong is charged to that block and its sender only.
@Suite("Pipelined sync: groups of blocks, one bad block, a reorg on the way", .keepsArtifacts)
struct PipelinedSyncTests {
    @Test("a chain served with an invalid block in the middle: the blocks before it are committed, it is rejected, its sender banned")
    func invalidBlockInTheMiddle() async throws {
        var rng = SeededGenerator(seed: 11)
        let source = try TestChain()
        let blocks = try source.extendWithActivity(40, rng: &rng)
        let bad = 30
        let (broken, child) = try source.withBrokenSignature(blocks[bad])
        let served = Array(blocks.prefix(bad)) + [broken, child]

        let net = try await TestNetwork.start(1)
        let node = net[0]
        let hostile = try await HostilePeer.connect(to: node.address, from: "127.0.0.41", bestHeight: UInt64(served.count))
        let serving = Task {
            await hostile.serve(
                headers: served.map(\.header), blocks: Dictionary(served.map { ($0.hash, $0) }, uniquingKeysWith: { a, _ in a }),
                deliver: true, for: 60)
        }
        try await Poll.until("the sender of the invalid block to be disconnected", timeout: 30) { hostile.isClosed }
        #expect(node.tip.hash == blocks[bad - 1].hash, "tip at \(node.tip.height)")
        #expect(node.chain.chain.isValid(broken.hash) == false)
        let disconnects = node.metricsText().split(separator: "\n").filter { $0.hasPrefix("keel_peer_") && !$0.hasSuffix(" 0") }
        try await Poll.until("a ban for the invalid block (\(disconnects))", timeout: 10) {
            node.metric("keel_peer_bans_total{reason=\"invalid_block\"}") == 1
        }
        let reference = try TestChain()
        for block in blocks.prefix(bad) { try reference.chain.submit(block, origin: .peer) }
        #expect(try node.chain.chain.utxoSetHash() == reference.chain.utxoSetHash())
        serving.cancel()
        await net.stop()
    }

    @Test("a heavier branch appears while a fresh node syncs the lighter one: it ends on the heavier, with its UTXO set")
    func reorgDuringSync() async throws {
        let net = try await TestNetwork.start(3)
        let light = net[0], heavy = net[1], fresh = net[2]
        let shared = try await light.mine(50)
        try await light.mine(250)
        for block in shared { try heavy.chain.chain.submit(block, origin: .peer) }
        try await heavy.mine(300)
        try await net.connect(2, 0)
        try await Poll.until("the fresh node to sync past the fork (at \(fresh.tip.height))", timeout: 60) { fresh.tip.height > 80 }
        try await net.connect(2, 1)
        try await net.waitForTips([1, 2], timeout: 90)
        #expect(fresh.tip.hash == heavy.tip.hash)
        #expect(try fresh.chain.chain.utxoSetHash() == heavy.chain.chain.utxoSetHash())
        #expect(light.tip.height == 300)
        await net.stop()
    }
}
