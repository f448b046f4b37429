import KeelChain
import KeelCore

/// Blocks received from peers whose parent is in the chain or ahead of them here, waiting for
/// the importer: the buffer between the network and validation, so neither waits on the other.
///
/// Peers' sessions only decode a block and add it here; the importer takes up to
/// `Limits.batch` at a time and submits them together (`ChainState.submit(_:origin:rules:)`),
/// so blocks that arrived while the last batch was validated are written together. Bounded in blocks and
/// bytes: when it is full, blocks are not asked for (the download waits), and a block that
/// still arrives is set aside to be asked for again.
struct BlockImportQueue: Sendable {
    /// A block to import, with who sent it and under which work rule.
    struct Entry: Sendable {
        var block: Block
        var hash: Hash256
        var item: BlockDownloader.Item?
        var peer: UInt64
        var size: Int

        var rule: ChainState.WorkRule { item.map { .requested(claimedWork: $0.claimedWork) } ?? .unrequested }

        init(block: Block, hash: Hash256, item: BlockDownloader.Item?, peer: UInt64, size: Int) {
            (self.block, self.hash, self.item, self.peer, self.size) = (block, hash, item, peer, size)
        }

        /// A block the orphan pool held until its parent came, now free to import.
        init(_ held: OrphanPool.Entry) {
            self.init(block: held.block, hash: held.block.hash, item: held.item, peer: held.peer, size: held.size)
        }
    }

    /// The bounds.
    struct Limits: Sendable {
        /// Blocks queued: what the downloader may ask for ahead of the importer
        /// (`BlockDownloader.Limits.aheadOfTip`), so a full download window fits.
        var blocks = 2_048
        /// Bytes of blocks queued (32 of the largest blocks).
        var bytes = 64 << 20
        /// Blocks the importer takes at once: each batch holds the chain's lock from start to
        /// end, and peers' messages that read the chain (headers, getheaders) wait for it.
        var batch = 64
    }

    let limits: Limits
    private(set) var queued: [Entry] = []
    private var head = 0
    /// Queued blocks and those the importer has taken and not finished.
    private var hashes: Set<Hash256> = []
    private var taken: [Hash256] = []
    private(set) var bytes = 0
    /// The height of the highest block queued or being imported (0: none).
    private(set) var highestHeight: UInt64 = 0

    init(limits: Limits = Limits()) { self.limits = limits }

    /// Blocks waiting (not counting those being imported).
    var count: Int { queued.count - head }

    /// Blocks that may still be added (bytes permitting).
    var room: Int { max(0, limits.blocks - count) }

    /// Whether no more may be added.
    var isFull: Bool { count >= limits.blocks || bytes >= limits.bytes }

    /// Whether `hash` is queued or being imported: a block building on it is not an orphan.
    func contains(_ hash: Hash256) -> Bool { hashes.contains(hash) }

    /// Adds `entry` unless the queue is full or holds it already; returns whether it was added.
    mutating func add(_ entry: Entry) -> Bool {
        guard !isFull, !hashes.contains(entry.hash) else { return false }
        queued.append(entry)
        hashes.insert(entry.hash)
        bytes += entry.size
        highestHeight = max(highestHeight, entry.block.header.height)
        return true
    }

    /// Takes up to a batch of blocks in arrival order (parents before children). They count as
    /// queued for `contains` until `finish()`.
    mutating func take() -> [Entry] {
        let end = min(queued.count, head + limits.batch)
        let batch = Array(queued[head..<end])
        head = end
        if head == queued.count {
            queued.removeAll(keepingCapacity: true)
            head = 0
        }
        for entry in batch { bytes -= entry.size }
        taken = batch.map(\.hash)
        return batch
    }

    /// The taken batch is in the chain (or refused by it).
    mutating func finish() {
        for hash in taken { hashes.remove(hash) }
        taken = []
        if hashes.isEmpty { highestHeight = 0 }
    }
}
