import KeelChain
import KeelCore
import KeelTesting
import Testing

@testable import KeelP2P

@Suite("what a sync sends and fetches (in-process nodes on 127.0.0.1)", .keepsArtifacts)
struct SyncTrafficTests {
    @Test("a node catching up announces none of the blocks it syncs to its other peers, then its tip once in step")
    func quietWhileCatchingUp() async throws {
        let net = try await TestNetwork.start(3)
        try await net[0].mine(600)
        try await net.connect(2, 1)  // C knows only B, which has nothing yet
        try await net.connect(1, 0)  // B syncs from A
        try await net.waitForTips(timeout: 120)
        #expect(net[2].tip.height == 600)
        // C learns B's chain from the tip B announces in step and one header batch it asks
        // for, not from 600 announcements (one headers message per block before).
        let headers = net[2].metric("keel_p2p_messages_total{command=\"headers\",direction=\"received\"}") ?? 0
        #expect(headers >= 1 && headers <= 6, "C received \(headers) headers messages while B synced 600 blocks")
        // In step, B announces again: a block mined on A reaches C through B.
        try await net[0].mine(1)
        try await net.waitForTips(timeout: 30)
        #expect(net[2].tip.height == 601)
        await net.stop()
    }

    @Test("a fresh node syncing from three peers into a small import queue finishes, fetching each block once")
    func fetchedOnce() async throws {
        let count = 1_500
        let net = try await TestNetwork.start(4)
        try await net.connect(1, 0)
        try await net.connect(2, 0)
        try await net[0].mine(count)
        try await net.waitForTips([0, 1, 2], timeout: 120)
        // A queue of 8 blocks: smaller than half a download window (requests waited for a
        // batch that never fit, and the sync stopped at 24), and small enough that the children
        // an arriving parent releases from the orphan pool may overflow it (in a release build
        // the full-size queue did: 4,000 of 10,000 blocks were fetched twice).
        var limits = BlockImportQueue.Limits()
        limits.blocks = 8
        limits.batch = 4
        let small = BlockImportQueue(limits: limits)
        net[3].network.imports.withLock { $0 = small }
        for source in 0..<3 { try await net.connect(3, source) }
        try await net.waitForTips(timeout: 180)
        #expect(try net[3].chain.chain.utxoSetHash() == net[0].chain.chain.utxoSetHash())
        let fresh = net[3]
        let received = fresh.metric("keel_p2p_messages_total{command=\"block\",direction=\"received\"}") ?? 0
        let refused = fresh.metric("keel_p2p_download_refused_total{reason=\"import_queue_full\"}") ?? 0
        // Blocks a full import queue turns away are held until their parent is stored, not
        // fetched again; a request that times out under load may still fetch one twice.
        #expect(
            received >= Double(count) && received <= Double(count) * 1.02,
            "\(Int(received)) block messages for \(count) blocks (\(Int(refused)) turned away by a full import queue)")
        await net.stop()
    }

    @Test("two nodes that dial each other sync headers over one of their two sessions")
    func oneSessionSyncsHeaders() async throws {
        // No health round during the test: it may ask a peer ahead for headers on its own.
        let net = try await TestNetwork.start(2) { _, configuration in configuration.healthInterval = 600 }
        try await net[0].mine(300)
        try await net.connect(1, 0)
        try await net.connect(0, 1)
        try await net.waitForTips(timeout: 60)
        #expect(net[1].network.establishedPeers().count == 2)
        // Asked on the first session only; the second one asked as well before (2).
        let asked = net[1].metric("keel_p2p_messages_total{command=\"getheaders\",direction=\"sent\"}") ?? 0
        #expect(asked == 1, "the fresh node asked for headers \(Int(asked)) times")
        await net.stop()
    }

    @Test("the first of two sessions closes while the node is behind: the spare asks for headers at once and the sync finishes over it")
    func spareTakesOver() async throws {
        let net = try await TestNetwork.start(2) { _, configuration in configuration.healthInterval = 600 }
        try await net[0].mine(300)
        // A full import queue: no block is asked for, so the node stays behind meanwhile.
        var full = BlockImportQueue.Limits()
        full.blocks = 0
        net[1].network.imports.withLock { $0 = BlockImportQueue(limits: full) }
        try await net.connect(1, 0)
        try await net.connect(0, 1)
        let asked = { net[1].metric("keel_p2p_messages_total{command=\"getheaders\",direction=\"sent\"}") ?? 0 }
        #expect(await Poll.holds(within: 30) { net[1].network.downloader.withLock { $0.queuedTotal } == 300 })
        #expect(asked() == 1 && net[1].tip.height == 0)
        net[1].network.imports.withLock { $0 = BlockImportQueue() }
        let first = try #require(net[1].network.establishedPeers().min { $0.id < $1.id })
        first.close("requested")
        // Without the health round, only the spare's own ask fetches the headers and blocks.
        #expect(await Poll.holds(within: 30) { asked() >= 2 }, "asked \(asked()) times")
        try await net.waitForTips(timeout: 60)
        #expect(net[1].tip.height == 300)
        await net.stop()
    }

    @Test("two announcements that do not connect within a second: the second ask for headers is made when the second is up, not dropped")
    func deferredUnconnectedAsk() async throws {
        let net = try await TestNetwork.start(1)
        let elsewhere = try TestChain()
        let blocks = try elsewhere.extend(3)
        elsewhere.close()
        let raw = try await RawPeer.connect(to: net[0].address)
        try await raw.handshake()
        var asks = 0
        let count = { () -> Int in
            for case .getheaders in raw.messages() { asks += 1 }
            return asks
        }
        // The node asks once on connecting.
        #expect(await Poll.holds(within: 10) { count() >= 1 })
        // Block 2's header does not connect (block 1 is unknown): asked at once; block 3's, a
        // moment later, is due when the second is up. Before, it was dropped: a node that
        // announces only its tip when it catches up left such a peer behind for good.
        try await raw.send(.headers([blocks[1].header]))
        #expect(await Poll.holds(within: 10) { count() >= 2 })
        try await raw.send(.headers([blocks[2].header]))
        #expect(await Poll.holds(within: 10) { count() >= 3 }, "\(asks) asks for headers")
        await raw.close()
        await net.stop()
    }
}
