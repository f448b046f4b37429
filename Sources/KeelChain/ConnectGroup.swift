import KeelCore
import KeelStorage

/// Blocks validated on top of one another and not yet written: their changes in one
/// `WriteBatch`, and their UTXO changes as an overlay that the next block is validated against.
///
/// Why: each connect used to end in a synced write of its own, a third of a large block's time
/// and nearly all of a small one's. When several blocks connect at once (a sync hands over the
/// blocks that arrived together, a reorg, a reindex), they are written as one synced batch, and
/// that write runs on a thread of its own while the next group is validated. A group's write
/// starts only after the one before it has returned, and each batch holds its tip, so a crash
/// leaves the store at the last block of a group that was written: always at a block boundary,
/// never half a group. Nothing is reported committed (logs, events, the in-memory tip) before
/// its group's write returns.
struct ConnectGroup {
    /// How many blocks, and how many transactions, one group may hold: bounds the batch in memory
    /// (about 300 bytes of batch per transaction) and what a crash may take back to re-validate.
    /// Small blocks share one fsync 64 at a time; a block of 1,000 transactions or more is a
    /// group of its own, so its write overlaps the next block's validation instead of waiting
    /// for a dozen blocks and then overlapping nothing (measured: 86 ms a block with groups of
    /// 20,000 transactions against 80 ms one at a time).
    struct Limits: Sendable {
        var blocks = 64
        var transactions = 1_000
    }

    /// A block validated against the group's view, ready to be written.
    struct Member {
        let entry: HeaderIndex.Entry
        let block: Block
        let txids: [Hash256]
        let origin: ChainState.Origin
        /// Checking it (signatures included), not counting its share of the group's write.
        var validationSeconds: Double
        var signatureSeconds: Double
        /// Mempool transactions it confirms or conflicts with.
        let leaving: Set<Hash256>
    }

    /// UTXO changes not yet in the store: outputs created (and not spent since), and outputs of
    /// the layers below that were spent.
    struct Overlay {
        var created: [OutPoint: UTXOEntry] = [:]
        var spent: Set<OutPoint> = []

        /// What the overlay says of `outpoint`: nil when it says nothing.
        func lookup(_ outpoint: OutPoint) -> UTXOEntry?? {
            if let entry = created[outpoint] { return .some(entry) }
            return spent.contains(outpoint) ? .some(nil) : nil
        }

        /// Adds what `member`'s block spends and creates.
        mutating func apply(_ member: Member) {
            let height = member.block.header.height
            for (i, tx) in member.block.transactions.enumerated() {
                for input in tx.inputs where created.removeValue(forKey: input.previous) == nil {
                    spent.insert(input.previous)
                }
                for (n, output) in tx.outputs.enumerated() {
                    created[OutPoint(txid: member.txids[i], index: UInt32(n))] = UTXOEntry(output: output, height: height, isCoinbase: i == 0)
                }
            }
        }
    }

    /// A group whose write is running.
    struct Writing {
        let members: [Member]
        let overlay: Overlay
        /// The write's seconds, or its error.
        let write: BackgroundResult<Result<Double, StorageError>>
    }

    let limits: Limits
    private(set) var members: [Member] = []
    private(set) var batch = WriteBatch()
    private(set) var transactions = 0
    private(set) var overlay = Overlay()
    /// The batch's size before each member was added, to take the last one out again.
    private var marks: [Int] = []
    /// The group before this one, while its write runs.
    private(set) var writing: Writing?

    init(limits: Limits = Limits()) { self.limits = limits }

    var isEmpty: Bool { members.isEmpty }
    var isFull: Bool { members.count >= limits.blocks || transactions >= limits.transactions }

    /// The UTXO set as it will be once the group (and the one being written) is in the store,
    /// for validating `block`: the outputs its inputs spend that neither group holds are read
    /// from the store up front, in one MultiGet, rather than one read each.
    func view(for block: Block, over store: ChainStore) throws -> PendingUTXOView {
        let layers = [overlay] + (writing.map { [$0.overlay] } ?? [])
        var wanted = [OutPoint]()
        var seen = Set<OutPoint>()
        for tx in block.transactions.dropFirst() {
            for input in tx.inputs where layers.allSatisfy({ $0.lookup(input.previous) == nil }) && seen.insert(input.previous).inserted {
                wanted.append(input.previous)
            }
        }
        var read = [OutPoint: UTXOEntry]()
        for (outpoint, entry) in zip(wanted, try store.utxos(wanted)) {
            if let entry { read[outpoint] = entry }
        }
        return PendingUTXOView(store: store, layers: layers, read: read, prefetched: seen)
    }

    /// Adds a validated block: its connection to the batch, its outputs and spends to the overlay.
    mutating func add(_ member: Member, spentEntries: [[UTXOEntry]]) {
        marks.append(batch.count)
        ChainState.addConnection(to: &batch, block: member.block, hash: member.entry.hash, txids: member.txids, spent: spentEntries)
        for txid in member.leaving { batch.deleteMempool(txid) }
        overlay.apply(member)
        transactions += member.block.transactions.count
        members.append(member)
    }

    /// Records the signature checks of the last member, which ran after it was added.
    mutating func recordSignatures(seconds: Double) {
        guard !members.isEmpty else { return }
        members[members.count - 1].signatureSeconds = seconds
        members[members.count - 1].validationSeconds += seconds
    }

    /// Takes the last member out again (its signatures failed after it was added on trust):
    /// the batch back to its mark, the overlay rebuilt from the members that stay (a rare path:
    /// an invalid block).
    mutating func dropLast() {
        guard let last = members.popLast(), let mark = marks.popLast() else { return }
        batch.truncate(to: mark)
        transactions -= last.block.transactions.count
        overlay = Overlay()
        for member in members { overlay.apply(member) }
    }

    /// Starts writing this group (the one before must be settled) and begins an empty one.
    mutating func startWrite(to store: ChainStore) {
        precondition(writing == nil, "a group's write starts only after the one before it returned")
        guard !members.isEmpty else { return }
        let batch = self.batch
        let write = BackgroundResult<Result<Double, StorageError>>(threadNamed: "keel-write") {
            let started = MonotonicTime.now()
            do {
                try store.write(batch, sync: true)
                return .success(MonotonicTime.seconds(since: started))
            } catch let error as StorageError {
                return .failure(error)
            } catch {
                return .failure(StorageError(.io, "the write failed", cause: error))
            }
        }
        writing = Writing(members: members, overlay: overlay, write: write)
        members = []
        marks = []
        self.batch = WriteBatch()
        transactions = 0
        overlay = Overlay()
    }

    /// Writes this group on the calling thread (the one before must be settled): the last
    /// group of a run, and a lone block, have nothing to overlap with. Returns what was written.
    mutating func writeNow(to store: ChainStore) throws -> (members: [Member], seconds: Double)? {
        precondition(writing == nil, "a group's write starts only after the one before it returned")
        guard !members.isEmpty else { return nil }
        let started = MonotonicTime.now()
        try store.write(batch, sync: true)
        let written = (members, MonotonicTime.seconds(since: started))
        self = ConnectGroup(limits: limits)
        return written
    }

    /// Waits for the running write; returns its group (nil if none was running).
    mutating func finishWrite() throws -> (members: [Member], seconds: Double)? {
        guard let writing else { return nil }
        self.writing = nil
        let seconds = try writing.write.wait().get()
        return (writing.members, seconds)
    }
}

/// A UTXO view that sees pending changes (newest layer first) over the store's set, with the
/// outputs a block needs from the store read ahead (`prefetched`: looked up, found or not).
struct PendingUTXOView: UTXOView {
    let store: ChainStore
    let layers: [ConnectGroup.Overlay]
    let read: [OutPoint: UTXOEntry]
    let prefetched: Set<OutPoint>

    func entry(for outpoint: OutPoint) throws -> UTXOEntry? {
        for layer in layers {
            if let answer = layer.lookup(outpoint) { return answer }
        }
        if prefetched.contains(outpoint) { return read[outpoint] }
        return try store.utxo(outpoint)
    }
}
