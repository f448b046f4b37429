import KeelCore

/// Blocks we asked for that arrived before their parent (two peers deliver neighbouring
/// ranges out of order), held until the parent is stored.
///
/// Bitcoin Core keeps no orphan-block pool: it stores any block whose header is in its header
/// tree. Keel stores headers only with their blocks, so a requested block that overtakes its
/// parent must wait somewhere. Only blocks we requested after checking their headers (chain
/// rules, proof of work, enough work) are held, so none costs the sender nothing; the pool is
/// bounded in count (the downloader asks for nothing further than `aheadOfTip` above the tip)
/// and in bytes, each peer may fill at most half of it, a peer's blocks go when it disconnects,
/// and a block not claimed within `maxAge` is dropped. A block pushed without being asked whose
/// parent is unknown is never held.
struct OrphanPool: Sendable {
    /// The bounds.
    struct Limits: Sendable {
        /// As many as the downloader asks for ahead of the importer (`aheadOfTip`).
        var count = 2_048
        var bytes = 64 << 20
        var perPeerBytes = 32 << 20
        var maxAge: UInt64 = 120_000
    }

    struct Entry: Sendable {
        var block: Block
        var item: BlockDownloader.Item
        var peer: UInt64
        var size: Int
        var at: UInt64
    }

    /// Why a block was not held.
    enum Refusal: String, CaseIterable, Sendable {
        case peerFull = "peer_full"
        case full
    }

    let limits: Limits
    private(set) var entries: [Hash256: Entry] = [:]
    private(set) var bytes = 0
    private var byParent: [Hash256: Set<Hash256>] = [:]
    private var perPeer: [UInt64: Int] = [:]
    private var perPeerBytes: [UInt64: Int] = [:]

    init(limits: Limits = Limits()) { self.limits = limits }

    var count: Int { entries.count }

    /// Holds `block` for `peer`. When the pool is full the held block highest above the chain is
    /// evicted for a lower one (it is the last to be connectable); the evicted come back to be
    /// fetched again. Returns the refusal, if `block` itself is not held.
    mutating func add(_ block: Block, item: BlockDownloader.Item, from peer: UInt64, size: Int, now: UInt64)
        -> (refusal: Refusal?, evicted: [BlockDownloader.Item])
    {
        let hash = block.hash
        guard entries[hash] == nil else { return (nil, []) }
        guard perPeerBytes[peer, default: 0] + size <= limits.perPeerBytes else { return (.peerFull, []) }
        var evicted = [BlockDownloader.Item]()
        while entries.count >= limits.count || bytes + size > limits.bytes {
            guard let highest = entries.values.max(by: { $0.item.height < $1.item.height }),
                highest.item.height > item.height
            else { return (.full, evicted) }
            evicted.append(remove(highest.block.hash)!.item)
        }
        entries[hash] = Entry(block: block, item: item, peer: peer, size: size, at: now)
        byParent[block.header.previousHash, default: []].insert(hash)
        perPeer[peer, default: 0] += 1
        perPeerBytes[peer, default: 0] += size
        bytes += size
        return (nil, evicted)
    }

    /// Takes the held children of `parent` out of the pool.
    mutating func takeChildren(of parent: Hash256) -> [Entry] {
        guard let children = byParent[parent] else { return [] }
        return children.compactMap { remove($0) }
    }

    /// Drops what `peer` delivered (it left); returns the items, to fetch again.
    mutating func removePeer(_ peer: UInt64) -> [BlockDownloader.Item] {
        guard perPeer[peer] != nil else { return [] }
        let mine = entries.values.filter { $0.peer == peer }.map(\.block.hash)
        return mine.compactMap { remove($0)?.item }
    }

    /// Drops blocks held longer than `maxAge`; returns how many.
    mutating func expire(now: UInt64) -> Int {
        let old = entries.values.filter { now >= $0.at + limits.maxAge }.map(\.block.hash)
        for hash in old { remove(hash) }
        return old.count
    }

    func contains(_ hash: Hash256) -> Bool { entries[hash] != nil }

    @discardableResult
    private mutating func remove(_ hash: Hash256) -> Entry? {
        guard let entry = entries.removeValue(forKey: hash) else { return nil }
        let parent = entry.block.header.previousHash
        byParent[parent]?.remove(hash)
        if byParent[parent]?.isEmpty == true { byParent[parent] = nil }
        perPeer[entry.peer, default: 1] -= 1
        perPeerBytes[entry.peer, default: entry.size] -= entry.size
        if perPeer[entry.peer] == 0 {
            perPeer[entry.peer] = nil
            perPeerBytes[entry.peer] = nil
        }
        bytes -= entry.size
        return entry
    }
}
