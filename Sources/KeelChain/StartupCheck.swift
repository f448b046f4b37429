import KeelCore
import KeelStorage

/// The start-up consistency check: the tip, the height index and the links of the last blocks
/// must agree, and every value read must pass its checksum. `full` also replays every block
/// from genesis into an in-memory UTXO set and compares it with the stored one.
///
/// Any disagreement is a `ChainError.inconsistent` whose message names the problem and tells
/// the operator how to rebuild with `--reindex`.
public struct StartupCheck: Sendable {
    /// What a check found.
    public struct Report: Sendable {
        /// Tip height.
        public let height: UInt64
        /// Tip hash.
        public let tip: Hash256
        /// Blocks whose links were checked.
        public let blocksChecked: Int
        /// The stored UTXO set's hash.
        public let utxoHash: Hash256?
        /// The rebuilt UTXO set's hash (full check only).
        public let rebuiltUTXOHash: Hash256?
    }

    /// How many blocks below the tip the quick check follows.
    public var depth: UInt64 = 100

    /// Told how far a full check has come, at most every `progressInterval` seconds: the phase
    /// ("checking blocks", "replaying blocks") and the report. A full check of a long chain
    /// takes minutes; without this it says nothing meanwhile.
    public var onProgress: (@Sendable (_ phase: String, _ report: ProgressMeter.Report) -> Void)?
    /// Seconds between progress reports.
    public var progressInterval: Double = 5

    /// A check of the newest `depth` blocks (all of them when run `full`).
    public init(depth: UInt64 = 100) { self.depth = depth }

    /// The remedy appended to every failure.
    public static func remedy(_ directory: String) -> String {
        "The chain state in \(directory) is inconsistent. Start the node with --reindex to rebuild it from the stored blocks (keel-node --reindex --data-dir \(directory)), or restore the directory from a backup."
    }

    /// Runs the check; throws `ChainError.inconsistent` on the first disagreement.
    public func run(store: ChainStore, full: Bool = false) throws -> Report {
        do {
            return try check(store: store, full: full)
        } catch let error as ChainError where error.code == .inconsistent {
            throw error
        } catch {
            throw ChainError(.inconsistent, "\(error). \(StartupCheck.remedy(store.directory))", cause: error)
        }
    }

    private func fail(_ problem: String, _ store: ChainStore) -> ChainError {
        ChainError(.inconsistent, "\(problem). \(StartupCheck.remedy(store.directory))")
    }

    private func check(store: ChainStore, full: Bool) throws -> Report {
        if full { try store.verifyEveryValue() }
        guard let tip = try store.tip() else {
            var anyBlock = false
            try store.database.scan(.blocks) { _, _ in
                anyBlock = true; return false
            }
            if anyBlock { throw fail("blocks are stored but the tip record is missing", store) }
            return Report(height: 0, tip: .zero, blocksChecked: 0, utxoHash: nil, rebuiltUTXOHash: nil)
        }
        guard let header = try store.header(tip.hash) else { throw fail("the tip \(tip.hash) has no stored header", store) }
        guard header.header.height == tip.height else {
            throw fail("the tip record says height \(tip.height) but its header says \(header.header.height)", store)
        }
        guard try store.hash(atHeight: tip.height + 1) == nil else {
            throw fail("the height index has an entry above the tip (height \(tip.height + 1))", store)
        }
        let lowest = full ? 0 : (tip.height > depth ? tip.height - depth : 0)
        var expected = tip.hash
        var height = tip.height
        var checked = 0
        var meter = ProgressMeter(interval: progressInterval, now: MonotonicTime.secondsNow())
        let span = tip.height - lowest + 1
        while true {
            guard let hash = try store.hash(atHeight: height) else {
                throw fail("the height index has no entry at height \(height)", store)
            }
            guard hash == expected else {
                throw fail("the height index says block \(hash) at height \(height), but the chain links to \(expected)", store)
            }
            guard let block = try store.block(hash) else { throw fail("block \(hash) at height \(height) is missing", store) }
            guard block.hash == hash, block.header.height == height else {
                throw fail("the block stored under \(hash) is not the block at height \(height)", store)
            }
            guard Merkle.root(block.transactions.map(\.txid)) == block.header.merkleRoot else {
                throw fail("block \(hash) at height \(height) does not match its merkle root", store)
            }
            if height > 0, try store.undo(hash) == nil { throw fail("undo data of block \(hash) at height \(height) is missing", store) }
            checked += 1
            if let onProgress, let report = meter.update(done: UInt64(checked), total: span, now: MonotonicTime.secondsNow(), force: height == lowest) {
                onProgress("checking blocks", report)
            }
            if height == lowest { break }
            expected = block.header.previousHash
            height -= 1
        }
        let utxo = try store.utxoSetHash().hash
        var rebuilt: Hash256?
        if full {
            rebuilt = try rebuildUTXOHash(store: store, tipHeight: tip.height)
            guard rebuilt == utxo else {
                throw fail("the stored UTXO set (hash \(utxo)) differs from the one rebuilt from the blocks (hash \(rebuilt!))", store)
            }
            try checkAddressIndex(store: store)
        }
        return Report(height: tip.height, tip: tip.hash, blocksChecked: checked, utxoHash: utxo, rebuiltUTXOHash: rebuilt)
    }

    /// Replays the active chain into memory and hashes the result the way the store does.
    private func rebuildUTXOHash(store: ChainStore, tipHeight: UInt64) throws -> Hash256 {
        var set = [OutPoint: UTXOEntry]()
        var meter = ProgressMeter(interval: progressInterval, now: MonotonicTime.secondsNow())
        for height in 0...tipHeight {
            if let onProgress, let report = meter.update(done: height + 1, total: tipHeight + 1, now: MonotonicTime.secondsNow(), force: height == tipHeight) {
                onProgress("replaying blocks", report)
            }
            guard let hash = try store.hash(atHeight: height), let block = try store.block(hash) else {
                throw fail("block at height \(height) is missing", store)
            }
            for (i, tx) in block.transactions.enumerated() {
                for input in tx.inputs {
                    guard set.removeValue(forKey: input.previous) != nil else {
                        throw fail("block at height \(height) spends \(input.previous), which the replay does not have", store)
                    }
                }
                let txid = tx.txid
                for (n, output) in tx.outputs.enumerated() {
                    set[OutPoint(txid: txid, index: UInt32(n))] = UTXOEntry(output: output, height: height, isCoinbase: i == 0)
                }
            }
        }
        var hasher = UTXOSetHasher()
        for (outpoint, entry) in set.sorted(by: { $0.key < $1.key }) { hasher.add(outpoint, entry) }
        return hasher.finalize()
    }

    /// The address index must hold exactly the UTXO set's entries.
    private func checkAddressIndex(store: ChainStore) throws {
        var indexed = 0
        try store.scan(.addressIndex) { key, _ in
            let outpoint = try OutPoint(decoding: Array(key[20...]))
            guard let entry = try store.utxo(outpoint), entry.output.addressHash.bytes == Array(key[..<20]) else {
                throw fail("the address index lists \(outpoint), which is not in the UTXO set", store)
            }
            indexed += 1
            return true
        }
        let count = try store.utxoSetHash().count
        guard indexed == count else { throw fail("the address index has \(indexed) entries but the UTXO set has \(count)", store) }
    }
}
