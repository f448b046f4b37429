import KeelCore
import KeelStorage

extension ChainState {
    /// A change other parts of the node relay (the P2P layer announces them to peers).
    public enum Change: Sendable, Equatable {
        /// A block joined the active chain.
        case blockConnected(hash: Hash256, height: UInt64, origin: Origin)
        /// A transaction entered the mempool.
        case transactionAccepted(Hash256)
    }

    /// Calls `listener` with every change from now on, in order: the blocks of one written
    /// group together (a sync connects thousands a second, and waking a consumer per block cost
    /// the importer a context switch each), a transaction alone. Listeners run under the chain's
    /// lock: they must return quickly and must not call back into the chain (queue the work).
    public func addListener(_ listener: @escaping @Sendable ([Change]) -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    func notify(_ changes: [Change]) {
        guard !changes.isEmpty else { return }
        for listener in listeners.withLock({ $0 }) { listener(changes) }
    }

    /// A block locator for the active chain: the last ten hashes, then exponentially sparser,
    /// ending at genesis. A peer answers from the first hash it has on its own active chain.
    public func locator() -> [Hash256] {
        state.withLock { s in
            var hashes = [Hash256]()
            var height = s.tip.height
            var step: UInt64 = 1
            var cursor: HeaderIndex.Entry? = s.tip
            while let entry = cursor {
                hashes.append(entry.hash)
                if height == 0 { break }
                if hashes.count >= 10 { step *= 2 }
                height = height > step ? height - step : 0
                cursor = readOrNil("the ancestor at height \(height)") { try s.index.ancestor(of: entry, atHeight: height) }
            }
            return hashes
        }
    }

    /// The header of a stored block (nil if unknown).
    public func header(_ hash: Hash256) -> BlockHeader? { state.withLock { s in readOrNil("header \(hash)") { try s.index.entry(hash)?.header } } }

    /// A header check that continues from the stored block `hash` (nil if the block is unknown
    /// or invalid): P2P checks a peer's headers with it before asking for any of their blocks.
    public func headerCheck(extending hash: Hash256) -> HeaderChainCheck? {
        state.withLock { s -> HeaderChainCheck? in
            guard let parent = readOrNil("header \(hash)", { try s.index.entry(hash) }), parent.isValid,
                let context = readOrNil("the context of \(hash)", { try s.index.context(of: parent, network: network) })
            else { return nil }
            var timestamps = [parent.header.timestamp]
            var cursor = parent
            while timestamps.count < HeaderChainCheck.lookBack(network), cursor.height > 0,
                let previous = readOrNil("header \(cursor.header.previousHash)", { try s.index.entry(cursor.header.previousHash) })
            {
                timestamps.append(previous.header.timestamp)
                cursor = previous
            }
            return HeaderChainCheck(network: network, parent: context, ancestorTimestamps: timestamps.reversed(), work: parent.work)
        }
    }

    /// Blocks this many tip blocks' worth of work below the tip may still be stored (a short
    /// reorg); below that a branch costs disk and memory and can never win soon. Bitcoin Core
    /// uses the same 144 (`GetAntiDoSWorkThreshold`).
    public static let workMarginBlocks: UInt64 = 144

    /// The least cumulative work a branch must show before its headers are followed or its
    /// blocks stored: the tip's work less `workMarginBlocks` blocks at the tip's target.
    public var antiDoSWorkThreshold: UInt256 { ChainState.threshold(tip: published.value) }

    static func threshold(tip: HeaderIndex.Entry) -> UInt256 {
        let (margin, overflow) = tip.header.target.work.multipliedReportingOverflow(by: workMarginBlocks)
        return overflow || margin >= tip.work ? .zero : tip.work - margin
    }

    /// Whether a block with `header` would pass `rule` (nil if its parent is unknown): the check
    /// `submit` makes, for judging a block before decoding the rest of it.
    public func admits(_ header: BlockHeader, rule: WorkRule) -> Bool? {
        state.withLock { s in
            guard let parent = readOrNil("header \(header.previousHash)", { try s.index.entry(header.previousHash) }) else { return nil }
            return rule.admits(parentWork: parent.work, header: header, tip: s.tip)
        }
    }

    /// The active tip's cumulative work.
    public var tipWork: UInt256 { state.withLock { $0.tip.work } }

    /// Active-chain headers after the first `locator` hash on the active chain (genesis if none
    /// is), up to `stop` or `limit` headers.
    public func headers(after locator: [Hash256], stop: Hash256?, limit: Int) throws -> [BlockHeader] {
        try state.withLock { s in
            var start: UInt64 = 0
            for hash in locator {
                if let entry = try s.index.entry(hash), entry.height <= s.tip.height, try store.hash(atHeight: entry.height) == hash {
                    start = entry.height
                    break
                }
            }
            guard s.tip.height > start, limit > 0 else { return [] }
            // One range scan of the height index and one MultiGet for the headers older than
            // the window in memory: a lookup each for 2,000 heights and their headers was a
            // third of a serving node's time in a sync.
            var hashes = try store.hashes(fromHeight: start + 1, limit: Int(min(UInt64(limit), s.tip.height - start)))
            if let stop, let end = hashes.firstIndex(of: stop) { hashes.removeSubrange((end + 1)...) }
            var headers = hashes.map { s.index.entries[$0]?.header }
            let missing = headers.indices.filter { headers[$0] == nil }
            for (i, record) in zip(missing, try store.headers(missing.map { hashes[$0] })) { headers[i] = record?.header }
            // A height whose header is missing ends the answer there, as a walk would have.
            return Array(headers.prefix { $0 != nil }.compactMap { $0 })
        }
    }

    /// Whether a block with this hash is stored (valid or not).
    ///
    /// Reads the store, not the index under the chain's lock: the P2P layer asks this of every
    /// block it receives and schedules, and must not wait while a batch validates. A submit
    /// indexes its blocks and writes them under the lock, before anyone else sees the index, so
    /// the store knows at least what the index does.
    public func knowsBlock(_ hash: Hash256) -> Bool { readOrNil("header \(hash)") { try store.header(hash) } != nil }

    /// A stored block by hash, on any branch.
    public func block(_ hash: Hash256) throws -> Block? { try store.block(hash) }
}
