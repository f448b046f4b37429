import KeelCore
import KeelStorage

/// The block headers fork choice works with: a bounded window of them in memory, the rest read
/// from the `headers` column family when asked for.
///
/// Memory holds every header whose height is within `Limits.window` of the active tip, on any
/// branch, so fork choice, the header rules (median time past, the retarget interval) and short
/// reorgs never touch the disk. Anything older is read on demand through RocksDB's bounded block
/// cache: deep reorgs, locators and `getheaders` from old heights. What the node holds therefore
/// depends on the window, never on the chain's height, and start-up loads only the window
/// (one range scan of `header_heights`).
///
/// Walks along the active chain jump through the height index instead of following parent
/// links, so no operation visits every header.
struct HeaderIndex: Sendable {
    /// One header with what fork choice needs.
    struct Entry: Sendable {
        let hash: Hash256
        var record: HeaderRecord
        var header: BlockHeader { record.header }
        var height: UInt64 { record.header.height }
        var work: UInt256 { record.cumulativeWork }
        var isValid: Bool { record.status == .valid }
    }

    /// How much of the header tree stays in memory.
    struct Limits: Sendable {
        /// Heights below the tip whose headers stay in memory.
        var window: UInt64
        /// Most headers held in memory, side branches included; beyond it the least-work
        /// headers off the active chain are dropped (they stay on disk).
        var capacity: Int

        /// The network's default: two retarget intervals (and at least 256 blocks), so every
        /// header rule finds its inputs in memory.
        static func standard(for network: Network) -> Limits {
            let window = max(2 * network.retargetInterval, 256)
            return Limits(window: window, capacity: Int(window) * 4)
        }
    }

    /// Bytes one in-memory entry costs, measured by `keel-bench memory` (the record, its four
    /// hash arrays, and the dictionary slot); used for `keel_chain_header_window_bytes`.
    static let bytesPerEntry = 560

    let store: ChainStore
    let limits: Limits
    private(set) var entries: [Hash256: Entry] = [:]
    private(set) var nextSequence: UInt64
    /// The valid in-memory entry with the most work (ties: first seen).
    private(set) var best: Entry?

    /// An empty index over `store`.
    init(store: ChainStore, limits: Limits, nextSequence: UInt64) {
        self.store = store
        self.limits = limits
        self.nextSequence = nextSequence
    }

    /// Forgets `hash` (its block was pruned from the store). Never the best entry, which has at
    /// least the tip's work.
    mutating func remove(_ hash: Hash256) {
        guard best?.hash != hash else { return }
        entries[hash] = nil
    }

    /// Loads the window above `tipHeight` (every branch, and anything above the tip) from
    /// `header_heights`: a range scan whose size depends on the window alone.
    static func load(store: ChainStore, limits: Limits, tipHeight: UInt64) throws -> HeaderIndex {
        var index = HeaderIndex(store: store, limits: limits, nextSequence: try store.headerSequence())
        let bottom = tipHeight > limits.window ? tipHeight - limits.window : 0
        for hash in try store.headerHashes(fromHeight: bottom) {
            guard let record = try store.header(hash) else {
                throw StorageError(.corruption, "header_heights lists \(hash), which has no stored header")
            }
            index.insert(Entry(hash: hash, record: record))
        }
        return index
    }

    /// Headers in memory.
    var count: Int { entries.count }

    /// What the in-memory headers hold, approximately (`bytesPerEntry` each).
    var estimatedBytes: Int { entries.count * HeaderIndex.bytesPerEntry }

    /// The entry for `hash`: from memory, else from the store; nil if unknown.
    func entry(_ hash: Hash256) throws -> Entry? {
        if let entry = entries[hash] { return entry }
        return try store.header(hash).map { Entry(hash: hash, record: $0) }
    }

    /// The entry for `hash` if it is in memory.
    func entry(inMemory hash: Hash256) -> Entry? { entries[hash] }

    /// Adds `entry` to memory (it must already be stored).
    /// Takes back entries inserted for blocks whose write failed: the best entry is chosen
    /// again from what stays (the tip's entry always does).
    mutating func forget(_ hashes: [Hash256]) {
        for hash in hashes { entries[hash] = nil }
        guard let current = best, hashes.contains(current.hash) else { return }
        best = entries.values.filter(\.isValid).min { HeaderIndex.isBetter($0, than: $1) }
    }

    mutating func insert(_ entry: Entry) {
        entries[entry.hash] = entry
        nextSequence = max(nextSequence, entry.record.sequence + 1)
        if entry.isValid, best.map({ HeaderIndex.isBetter(entry, than: $0) }) ?? true { best = entry }
    }

    static func isBetter(_ a: Entry, than b: Entry) -> Bool {
        a.work != b.work ? a.work > b.work : a.record.sequence < b.record.sequence
    }

    /// Drops from memory what fell out of the window below `tip`, and, past the capacity, the
    /// least-work headers off the active chain. The tip and the best entry always stay.
    mutating func prune(tip: Entry) throws {
        let bottom = tip.height > limits.window ? tip.height - limits.window : 0
        if let lowest = entries.values.lazy.map(\.height).min(), lowest < bottom {
            entries = entries.filter { $0.value.height >= bottom || $0.key == tip.hash || $0.key == best?.hash }
        }
        guard entries.count > limits.capacity else { return }
        var spare = [Entry]()
        for entry in entries.values where entry.hash != tip.hash && entry.hash != best?.hash {
            if try store.hash(atHeight: entry.height) != entry.hash { spare.append(entry) }
        }
        spare.sort { $0.work < $1.work }
        for entry in spare.prefix(entries.count - limits.capacity) { entries[entry.hash] = nil }
    }

    /// Marks `hash` and every descendant it can find invalid: those in memory, and those on
    /// `path` (the branch being connected, possibly older than the window). Returns the
    /// records changed, for the caller to store. Descendants on disk and off `path` keep their
    /// status; a later attempt to connect one fails on the invalid ancestor again.
    mutating func invalidate(_ hash: Hash256, path: [Entry] = []) throws -> [Entry] {
        guard var root = try entry(hash) else { return [] }
        var invalid: Set<Hash256> = [hash]
        root.record.status = .invalid
        var changed = [root]
        if entries[hash] != nil { entries[hash] = root }
        for var entry in path.sorted(by: { $0.height < $1.height }) where entry.height > root.height {
            guard invalid.contains(entry.header.previousHash) else { continue }
            invalid.insert(entry.hash)
            entry.record.status = .invalid
            if entries[entry.hash] != nil { entries[entry.hash] = entry }
            changed.append(entry)
        }
        for (key, candidate) in entries.sorted(by: { $0.value.height < $1.value.height })
        where candidate.height > root.height && candidate.isValid && !invalid.contains(key) {
            let descends: Bool
            if invalid.contains(candidate.header.previousHash) {
                descends = true
            } else if entries[candidate.header.previousHash] == nil {
                // The lowest in-memory header of its branch: follow it down to the root's height.
                descends = try ancestor(of: candidate, atHeight: root.height)?.hash == hash
            } else {
                descends = false
            }
            guard descends else { continue }
            var entry = candidate
            entry.record.status = .invalid
            entries[key] = entry
            invalid.insert(key)
            changed.append(entry)
        }
        best = entries.values.filter(\.isValid).max { HeaderIndex.isBetter($1, than: $0) }
        return changed
    }
}
