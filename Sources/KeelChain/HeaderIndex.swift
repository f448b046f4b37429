import KeelCore
import KeelStorage

/// Every known block header in memory, with its work and validity, for fork choice.
struct HeaderIndex: Sendable {
    struct Entry: Sendable {
        let hash: Hash256
        var record: HeaderRecord
        var header: BlockHeader { record.header }
        var height: UInt64 { record.header.height }
        var work: UInt256 { record.cumulativeWork }
        var isValid: Bool { record.status == .valid }
    }

    private(set) var entries: [Hash256: Entry] = [:]
    private(set) var nextSequence: UInt64 = 0
    /// The valid entry with the most work (ties: first seen).
    private(set) var best: Entry?

    subscript(hash: Hash256) -> Entry? { entries[hash] }
    var count: Int { entries.count }

    mutating func insert(_ entry: Entry) {
        entries[entry.hash] = entry
        nextSequence = max(nextSequence, entry.record.sequence + 1)
        if entry.isValid, best.map({ HeaderIndex.isBetter(entry, than: $0) }) ?? true { best = entry }
    }

    static func isBetter(_ a: Entry, than b: Entry) -> Bool {
        a.work != b.work ? a.work > b.work : a.record.sequence < b.record.sequence
    }

    /// Marks `hash` and every descendant invalid; returns the records changed.
    mutating func invalidate(_ hash: Hash256) -> [Entry] {
        guard let root = entries[hash] else { return [] }
        var changed = [Entry]()
        for (key, var entry) in entries where entry.height >= root.height && entry.isValid {
            if key == hash || ancestor(of: entry, atHeight: root.height)?.hash == hash {
                entry.record.status = .invalid
                entries[key] = entry
                changed.append(entry)
            }
        }
        best = entries.values.filter(\.isValid).max { HeaderIndex.isBetter($1, than: $0) }
        return changed
    }

    /// The ancestor of `entry` at `height` (itself at its own height).
    func ancestor(of entry: Entry, atHeight height: UInt64) -> Entry? {
        var current: Entry? = entry
        while let c = current, c.height > height { current = entries[c.header.previousHash] }
        return current?.height == height ? current : nil
    }

    /// The last common block of `a` and `b`.
    func fork(_ a: Entry, _ b: Entry) -> Entry? {
        var x: Entry? = a, y: Entry? = b
        while let l = x, let r = y, l.hash != r.hash {
            if l.height > r.height { x = entries[l.header.previousHash] } else if r.height > l.height { y = entries[r.header.previousHash] } else {
                x = entries[l.header.previousHash]
                y = entries[r.header.previousHash]
            }
        }
        return x
    }

    /// What the header rules need to know about `parent`.
    func context(of parent: Entry, network: Network) -> ParentContext {
        var timestamps = [parent.header.timestamp]
        var current = parent
        while timestamps.count < 11, let previous = entries[current.header.previousHash] {
            timestamps.append(previous.header.timestamp)
            current = previous
        }
        var intervalStart: (timestamp: UInt64, height: UInt64)?
        if (parent.height + 1) % network.retargetInterval == 0 {
            let startHeight = parent.height >= network.retargetInterval ? parent.height - network.retargetInterval : 0
            if let start = ancestor(of: parent, atHeight: startHeight) { intervalStart = (start.header.timestamp, start.height) }
        }
        return ParentContext(hash: parent.hash, height: parent.height, timestamp: parent.header.timestamp,
                             target: parent.header.target, medianTimePast: ParentContext.median(timestamps),
                             intervalStartTimestamp: intervalStart?.timestamp, intervalStartHeight: intervalStart?.height)
    }
}
