import KeelCore
import KeelStorage

extension HeaderIndex {
    /// Whether `entry` is on the active chain, by the height index (which always matches the
    /// tip the chain state holds, as both change in one batch under its lock).
    func isActive(_ entry: Entry) throws -> Bool { try store.hash(atHeight: entry.height) == entry.hash }

    /// The ancestor of `entry` at `height` (itself at its own height). Parent links are
    /// followed only until the walk reaches the active chain; from there the height index
    /// answers in one read, so a walk to genesis costs the side branch's length, not the chain's.
    func ancestor(of entry: Entry, atHeight height: UInt64) throws -> Entry? {
        guard height <= entry.height else { return nil }
        var current = entry
        while current.height > height {
            // Short hops (the header rules' eleven timestamps) stay in memory.
            if current.height - height > 16 || entries[current.header.previousHash] == nil, try isActive(current) {
                guard let hash = try store.hash(atHeight: height) else { return nil }
                return try self.entry(hash)
            }
            guard let parent = try self.entry(current.header.previousHash) else { return nil }
            current = parent
        }
        return current
    }

    /// The last block `entry`'s branch shares with the active chain, whose tip is `tip`.
    /// Blocks above the tip's height cannot be on it: they are passed without a read (a sync
    /// connects 64 blocks above the tip at a time, and asked the height index for each).
    func forkWithActiveChain(_ entry: Entry, tip: Entry) throws -> Entry? {
        var current = entry
        while try current.height > tip.height || !isActive(current) {
            guard current.height > 0, let parent = try self.entry(current.header.previousHash) else { return nil }
            current = parent
        }
        return current
    }

    /// What the header rules need to know about `parent`.
    func context(of parent: Entry, network: Network) throws -> ParentContext {
        var timestamps = [parent.header.timestamp]
        var current = parent
        while timestamps.count < 11, current.height > 0, let previous = try entry(current.header.previousHash) {
            timestamps.append(previous.header.timestamp)
            current = previous
        }
        var intervalStart: (timestamp: UInt64, height: UInt64)?
        if (parent.height + 1) % network.retargetInterval == 0 {
            let startHeight = parent.height >= network.retargetInterval ? parent.height - network.retargetInterval : 0
            if let start = try ancestor(of: parent, atHeight: startHeight) { intervalStart = (start.header.timestamp, start.height) }
        }
        return ParentContext(
            hash: parent.hash, height: parent.height, timestamp: parent.header.timestamp,
            target: parent.header.target, medianTimePast: ParentContext.median(timestamps),
            intervalStartTimestamp: intervalStart?.timestamp, intervalStartHeight: intervalStart?.height)
    }
}
