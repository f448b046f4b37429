import KeelCore
import KeelStorage

extension ChainState {
    /// Side-branch blocks deeper than this below the tip are pruned once their branch is dead:
    /// twice the anti-DoS work margin, so nothing a peer may still store is ever pruned.
    public static let pruneDepth: UInt64 = 2 * workMarginBlocks
    /// The tip moves this far between prunes (each prune reads the headers above the last one).
    public static let pruneEvery: UInt64 = 100

    /// Deletes side branches that can no longer win: blocks off the active chain more than
    /// `pruneDepth` below the tip none of whose stored descendants comes within the work margin
    /// of the tip. The work rule keeps new ones from being stored, and this keeps the old ones
    /// from staying on disk for good. Runs under the chain's lock every `pruneEvery` blocks;
    /// a failure is logged and retried at the next, never fails the block that triggered it.
    ///
    /// A branch being downloaded for a reorg deeper than `pruneDepth` that has not yet come
    /// within the margin can lose its stored lower blocks here; P2P fetches them again (its
    /// headers proved the work), and the next prune is `pruneEvery` blocks away.
    func pruneSideBranchesIfDue(_ s: inout State) {
        guard s.tip.height > ChainState.pruneDepth else { return }
        let below = s.tip.height - ChainState.pruneDepth
        guard below >= s.prunedHeight + ChainState.pruneEvery else { return }
        do {
            let pruned = try pruneSideBranches(below: below, &s)
            if pruned > 0 { logger.info("pruned dead side branches", metadata: ["blocks": "\(pruned)", "below_height": "\(below)"]) }
        } catch {
            logger.warning("could not prune side branches; retrying later", metadata: ["error": "\(error)"])
        }
    }

    /// Prunes dead side-branch blocks below `below`; returns how many.
    func pruneSideBranches(below: UInt64, _ s: inout State) throws -> Int {
        // Every stored header from the last prune up, side ones with their parent and work.
        var side = [(hash: Hash256, height: UInt64, parent: Hash256, work: UInt256, valid: Bool)]()
        let entries = try store.headerEntries(fromHeight: s.prunedHeight)
        var perHeight = [UInt64: Int]()
        for entry in entries { perHeight[entry.height, default: 0] += 1 }
        // The active chain has a block at every height up to the tip: a height with one stored
        // block (at or below the tip) holds that block and nothing else, with no lookup. Looking
        // up each height was a fifth of a sync's import time (400 reads every 100 blocks).
        let tipHeight = s.tip.height
        for (height, hash) in entries where height > tipHeight || perHeight[height, default: 0] > 1 {
            guard try store.hash(atHeight: height) != hash else { continue }
            guard let record = try store.header(hash) else { continue }
            side.append((hash, height, record.header.previousHash, record.cumulativeWork, record.status == .valid))
        }
        // Alive: a valid block within the margin, and every ancestor of one (highest first, so
        // a child is decided before its parent).
        let threshold = ChainState.threshold(tip: s.tip)
        var alive = Set<Hash256>()
        for block in side.sorted(by: { $0.height > $1.height }) where alive.contains(block.hash) || (block.valid && block.work >= threshold) {
            alive.insert(block.hash)
            alive.insert(block.parent)
        }
        var batch = WriteBatch()
        var pruned = 0
        for block in side where block.height < below && !alive.contains(block.hash) {
            batch.deleteSideBlock(block.hash, height: block.height)
            s.index.remove(block.hash)
            pruned += 1
        }
        // A branch alive now may die later: the next prune starts from its lowest block.
        let resume = min(below, side.lazy.filter { $0.height < below && alive.contains($0.hash) }.map(\.height).min() ?? below)
        batch.setPrunedHeight(resume)
        try store.write(batch, sync: false)
        s.prunedHeight = resume
        return pruned
    }
}
