import KeelCore
import KeelTesting
import Testing

@testable import KeelP2P

/// The download state machine, driven by a hand-held clock.
@Suite("Block downloader: bounded queues, slots returned, stallers found", .ownThread, .keepsArtifacts)
struct BlockDownloaderTests {
    static func items(_ range: Range<Int>) -> [BlockDownloader.Item] {
        range.map { i in
            BlockDownloader.Item(hash: Hash256.sha256d(Array("block \(i)".utf8)), height: UInt64(i), claimedWork: UInt256(UInt64(i)))
        }
    }

    @Test("a peer's queue and the total are bounded; what is refused is counted by bound")
    func queueBounds() {
        var limits = BlockDownloader.Limits()
        limits.queuePerPeer = 100
        limits.queueTotal = 150
        var d = BlockDownloader(limits: limits)
        d.addPeer(1, now: 0)
        d.addPeer(2, now: 0)
        #expect(d.schedule(BlockDownloaderTests.items(0..<120), for: 1) == [.peerQueueFull: 20])
        #expect(d.queued(1) == 100)
        #expect(!d.wantsMoreHeaders(from: 1))
        #expect(d.schedule(BlockDownloaderTests.items(200..<300), for: 2) == [.queueFull: 50])
        #expect(d.queuedTotal == 150)
        // Scheduling the same blocks again adds nothing and refuses nothing.
        #expect(d.schedule(BlockDownloaderTests.items(0..<100), for: 1).isEmpty)
        #expect(d.queuedTotal == 150)
        // A peer that leaves gives back its share of the total.
        _ = d.removePeer(2)
        #expect(d.queuedTotal == 100)
    }

    @Test("at most a window in flight per peer, asked in batches of at least half a window; stored blocks are skipped")
    func window() {
        var d = BlockDownloader()
        d.addPeer(1, now: 0)
        _ = d.schedule(BlockDownloaderTests.items(0..<100), for: 1)
        let stored = Set(BlockDownloaderTests.items(0..<4).map(\.hash))
        let first = d.nextRequests(for: 1, now: 0, tipHeight: 0) { stored.contains($0) }
        #expect(first.count == d.window)
        #expect(first.first?.height == 4)
        #expect(d.inFlight(to: 1) == d.window)
        #expect(d.nextRequests(for: 1, now: 0, tipHeight: 0) { _ in false }.isEmpty)
        // One delivery frees one slot: not enough for a batch.
        #expect(d.delivered(first[0].hash, from: 1, now: 10) == first[0])
        #expect(d.nextRequests(for: 1, now: 10, tipHeight: 0) { _ in false }.isEmpty)
        for item in first[1..<16] { _ = d.delivered(item.hash, from: 1, now: 20) }
        #expect(d.nextRequests(for: 1, now: 20, tipHeight: 0) { _ in false }.count == 16)
        // A block from a peer we did not ask is not its request.
        #expect(d.delivered(first[20].hash, from: 2, now: 20) == nil)
    }

    @Test("the window is counted in bytes: small blocks widen it to its maximum, large ones narrow it to its minimum")
    func windowFollowsBlockSize() {
        var d = BlockDownloader()
        d.addPeer(1, now: 0)
        _ = d.schedule(BlockDownloaderTests.items(0..<2_000), for: 1)
        #expect(d.window == 32, "before any block arrives the window is 32")
        var now: UInt64 = 0
        var widest = 0
        for _ in 0..<40 {
            now += 1
            for item in d.nextRequests(for: 1, now: now, tipHeight: 5_000, isStored: { _ in false }) {
                _ = d.delivered(item.hash, from: 1, now: now, size: 300)
            }
            widest = max(widest, d.window)
        }
        #expect(widest == d.limits.windowMax, "300-byte blocks: window \(widest)")
        // Someone else's block does not move it.
        let before = d.averageBlockSize
        _ = d.delivered(Hash256.sha256d([9]), from: 1, now: now, size: 2_000_000)
        #expect(d.averageBlockSize == before)
        _ = d.schedule(BlockDownloaderTests.items(2_000..<3_000), for: 1)
        for _ in 0..<40 {
            now += 1
            for item in d.nextRequests(for: 1, now: now, tipHeight: 5_000, isStored: { _ in false }) {
                _ = d.delivered(item.hash, from: 1, now: now, size: 2_000_000)
            }
        }
        #expect(d.window == d.limits.windowMin, "2 MB blocks: window \(d.window)")
        #expect(d.inFlight(to: 1) <= d.limits.windowMax)
    }

    @Test("requests unanswered past the timeout give their slots back, and the blocks go to another peer that has them")
    func timeoutReturnsSlots() {
        var d = BlockDownloader()
        d.addPeer(1, now: 0)
        d.addPeer(2, now: 0)
        d.setBestHeight(1_000, of: 1)
        d.setBestHeight(1_000, of: 2)
        _ = d.schedule(BlockDownloaderTests.items(0..<32), for: 1)
        let asked = d.nextRequests(for: 1, now: 0, tipHeight: 0) { _ in false }
        #expect(asked.count == 32)
        let expiry = d.expire(now: d.limits.requestTimeout)
        #expect(expiry.timedOut.count == 32)
        #expect(d.inFlight(to: 1) == 0, "slots leaked: the peer would never be asked again")
        #expect(d.reassign(expiry.timedOut, excluding: 1).isEmpty)
        #expect(d.queued(2) == 32)
        #expect(d.nextRequests(for: 2, now: d.limits.requestTimeout, tipHeight: 0) { _ in false }.count == 32)
    }

    @Test("a peer holding requests past the stall timeout while another delivers is named a staller; the timeout doubles, then eases")
    func stallers() {
        var d = BlockDownloader()
        d.addPeer(1, now: 0)
        d.addPeer(2, now: 0)
        _ = d.schedule(BlockDownloaderTests.items(0..<32), for: 1)
        _ = d.schedule(BlockDownloaderTests.items(32..<64), for: 2)
        _ = d.nextRequests(for: 1, now: 0, tipHeight: 0) { _ in false }
        let fromTwo = d.nextRequests(for: 2, now: 0, tipHeight: 0) { _ in false }
        let base = d.limits.stallBase
        // Alone, slow is not stalling.
        #expect(d.expire(now: base + 1).stallers.isEmpty)
        // Peer 2 delivers; peer 1 still has nothing to show.
        _ = d.delivered(fromTwo[0].hash, from: 2, now: base + 2)
        #expect(d.expire(now: base + 3).stallers == [1])
        #expect(d.stallTimeout == base * 2)
        // Its blocks, given back, go to peer 2.
        let returned = d.removePeer(1)
        #expect(returned.count == 32)
        d.setBestHeight(100, of: 2)
        #expect(d.reassign(returned).isEmpty)
        for item in fromTwo[1...] { _ = d.delivered(item.hash, from: 2, now: base + 4) }
        #expect(d.stallTimeout < base * 2)
    }

    @Test("nothing more than the ahead-of-tip window above the tip is asked for; blocks taken back go to the front of the queue")
    func ceiling() {
        var limits = BlockDownloader.Limits()
        limits.aheadOfTip = 40
        var d = BlockDownloader(limits: limits)
        d.addPeer(1, now: 0)
        d.addPeer(2, now: 0)
        d.setBestHeight(1_000, of: 2)
        _ = d.schedule(BlockDownloaderTests.items(1..<100), for: 1)
        let first = d.nextRequests(for: 1, now: 0, tipHeight: 0) { _ in false }
        #expect(first.map(\.height) == Array(1...32))
        for item in first { _ = d.delivered(item.hash, from: 1, now: 1) }
        #expect(d.nextRequests(for: 1, now: 1, tipHeight: 0) { _ in false }.map(\.height) == Array(33...40))
        #expect(d.nextRequests(for: 1, now: 1, tipHeight: 0) { _ in false }.isEmpty, "asked past the ceiling")
        #expect(d.hungryPeers() == [1])
        // Peer 2 has 50..<90 queued; blocks 33...40 taken back from peer 1 go before them.
        _ = d.schedule(BlockDownloaderTests.items(50..<90), for: 2)
        let back = d.removePeer(1).filter { $0.height <= 40 }
        #expect(d.reassign(back).isEmpty)
        #expect(d.nextRequests(for: 2, now: 2, tipHeight: 32) { _ in false }.map(\.height) == Array(33...40) + Array(50...72))
    }

    @Test("a peer whose queue was ahead of the ceiling, given lower blocks again (a staller's, a batch asked again), asks for the lowest first")
    func queueStaysInHeightOrder() {
        var limits = BlockDownloader.Limits()
        limits.aheadOfTip = 256
        var d = BlockDownloader(limits: limits)
        d.addPeer(1, now: 0)
        d.addPeer(2, now: 0)
        d.setBestHeight(300, of: 2)
        let items = BlockDownloaderTests.items(1..<301)
        _ = d.schedule(items, for: 1)
        _ = d.nextRequests(for: 1, now: 0, tipHeight: 0) { _ in false }
        _ = d.schedule(items, for: 2)
        // Peer 2 fetches up to the ceiling while peer 1 sits on 1...32 (what arrives is held).
        var held = Set<Hash256>()
        while true {
            let asked = d.nextRequests(for: 2, now: 1, tipHeight: 0) { _ in false }
            if asked.isEmpty { break }
            for item in asked { _ = d.delivered(item.hash, from: 2, now: 2) }
            held.formUnion(asked.map(\.hash))
        }
        #expect(d.queued(2) == 300 - 256)
        // The same headers again (a periodic getheaders; the held are not queued again), then the
        // staller's blocks.
        _ = d.schedule(items.filter { !held.contains($0.hash) }, for: 2)
        #expect(d.nextRequests(for: 2, now: 3, tipHeight: 0) { _ in false }.isEmpty, "the first 32 are still peer 1's")
        #expect(d.expire(now: 10_000).stallers == [1])
        #expect(d.reassign(d.removePeer(1).filter { !held.contains($0.hash) }, excluding: 1).count == 0)
        #expect(d.nextRequests(for: 2, now: 10_001, tipHeight: 0) { _ in false }.map(\.height) == Array(1...32))
    }

    @Test("a block in flight from one peer is not asked of another until its request times out")
    func noDoubleRequests() {
        var d = BlockDownloader()
        d.addPeer(1, now: 0)
        d.addPeer(2, now: 0)
        let items = BlockDownloaderTests.items(0..<16)
        _ = d.schedule(items, for: 1)
        _ = d.schedule(items, for: 2)
        #expect(d.nextRequests(for: 1, now: 0, tipHeight: 0) { _ in false }.count == 16)
        #expect(d.nextRequests(for: 2, now: 1, tipHeight: 0) { _ in false }.isEmpty)
        #expect(d.inFlight.count == 16)
    }
}

@Suite("Orphan pool: requested blocks only, bounded, charged to the peer", .ownThread, .keepsArtifacts)
struct OrphanPoolTests {
    static func block(_ i: Int) -> Block {
        let coinbase = Transaction.coinbase(height: UInt64(i), amount: Amount(units: 1), to: .burn)
        let header = BlockHeader(
            height: UInt64(i), previousHash: Hash256.sha256d(Array("parent \(i)".utf8)),
            merkleRoot: Merkle.root([coinbase.txid]), timestamp: 0, target: Network.dev.powLimit)
        return Block(header: header, transactions: [coinbase])
    }

    static func item(_ block: Block) -> BlockDownloader.Item {
        BlockDownloader.Item(hash: block.hash, height: block.header.height, claimedWork: .zero)
    }

    @Test("per-peer and byte bounds hold; when full the highest block makes room for a lower one")
    func bounds() {
        var limits = OrphanPool.Limits()
        limits.perPeerBytes = 3_000
        limits.bytes = 5_000
        var pool = OrphanPool(limits: limits)
        for i in 10..<13 {
            #expect(pool.add(OrphanPoolTests.block(i), item: OrphanPoolTests.item(OrphanPoolTests.block(i)), from: 1, size: 1_000, now: 0).refusal == nil)
        }
        let fourth = OrphanPoolTests.block(13)
        #expect(pool.add(fourth, item: OrphanPoolTests.item(fourth), from: 1, size: 1_000, now: 0).refusal == .peerFull)
        for i in 20..<22 { _ = pool.add(OrphanPoolTests.block(i), item: OrphanPoolTests.item(OrphanPoolTests.block(i)), from: 2, size: 1_000, now: 0) }
        #expect(pool.bytes == 5_000)
        let low = OrphanPoolTests.block(5)
        let (refusal, evicted) = pool.add(low, item: OrphanPoolTests.item(low), from: 3, size: 1_000, now: 0)
        #expect(refusal == nil)
        #expect(evicted.map(\.height) == [21])
        #expect(pool.bytes == 5_000)
        let high = OrphanPoolTests.block(30)
        #expect(pool.add(high, item: OrphanPoolTests.item(high), from: 3, size: 1_000, now: 0).refusal == .full)
    }

    @Test("a peer's blocks leave with it; old ones expire; children are taken by parent")
    func lifecycle() {
        var pool = OrphanPool()
        let a = OrphanPoolTests.block(1), b = OrphanPoolTests.block(2)
        _ = pool.add(a, item: OrphanPoolTests.item(a), from: 1, size: 10, now: 0)
        _ = pool.add(b, item: OrphanPoolTests.item(b), from: 2, size: 10, now: 50_000)
        #expect(pool.removePeer(1).map(\.hash) == [a.hash])
        #expect(pool.count == 1 && pool.bytes == 10)
        #expect(pool.takeChildren(of: b.header.previousHash).map(\.block.hash) == [b.hash])
        _ = pool.add(a, item: OrphanPoolTests.item(a), from: 1, size: 10, now: 0)
        #expect(pool.expire(now: pool.limits.maxAge) == 1)
        #expect(pool.count == 0 && pool.bytes == 0)
    }
}

extension BlockDownloader {
    /// Delivered at the size the window starts from, so the window stays 32.
    mutating func delivered(_ hash: Hash256, from peer: UInt64, now: UInt64) -> Item? {
        delivered(hash, from: peer, now: now, size: limits.windowBytes / 32)
    }
}
