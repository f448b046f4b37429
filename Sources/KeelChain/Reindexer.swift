import KeelCore
import KeelStorage
import Logging

/// Rebuilds chain state from the stored block bodies: clears every derived column family
/// (headers, height index, UTXO set, address index, undo, tx index, tip), drops blocks that
/// fail their checksum or do not decode, and connects the rest again in height order through
/// the normal validation path. Mempool and peers are kept.
public enum Reindexer {
    /// What a reindex did.
    public struct Report: Sendable {
        /// Blocks read back.
        public let blocksRead: Int
        /// Corrupt or undecodable blocks removed.
        public let blocksDropped: Int
        /// Height reached.
        public let height: UInt64
    }

    /// Runs the rebuild and returns the resulting chain state.
    public static func run(
        store: ChainStore, clock: any WallClock = SystemClock(), verifier: SignatureVerifier = SignatureVerifier(),
        mempoolLimits: Mempool.Limits = Mempool.Limits(), logger: Logger,
        observer: ChainState.Observer = ChainState.Observer()
    ) throws -> (ChainState, Report) {
        // Heights and hashes only: the bodies are read again one at a time below, so a reindex
        // holds 40 bytes a block in memory, not every block.
        var found = [(height: UInt64, hash: Hash256)]()
        var clean = WriteBatch()
        var dropped = 0
        try store.database.scan(.blocks) { key, _ in
            if let hash = Hash256(bytes: key), let block = try Reindexer.readable(hash, in: store), block.hash == hash {
                found.append((block.header.height, hash))
            } else {
                clean.delete(.blocks, key)
                dropped += 1
            }
            return true
        }
        for family in [ColumnFamily.headers, .headerHeights, .heightIndex, .utxo, .addressIndex, .undo, .txIndex] { clean.clear(family) }
        for key in [MetaKey.tipHash, .tipHeight, .headerSequence] { clean.delete(.meta, Array(key.rawValue.utf8)) }
        clean.putSealed(.meta, Array(MetaKey.reindexing.rawValue.utf8), [1])
        try store.write(clean, sync: true)
        logger.notice("reindexing", metadata: ["blocks": "\(found.count)", "dropped": "\(dropped)"])

        let chain = try ChainState(
            store: store, clock: clock, verifier: verifier, mempoolLimits: mempoolLimits,
            logger: logger, observer: observer)
        // Progress every 10 s: a reindex of a long chain is otherwise silent for minutes.
        var meter = ProgressMeter(interval: 10, now: MonotonicTime.secondsNow())
        let ordered = found.sorted(by: { $0.height < $1.height }).filter { $0.height > 0 }
        var next = 0
        while next < ordered.count {
            // A chunk at a time: blocks submitted together are written together (ConnectGroup).
            let chunk = ordered[next..<min(ordered.count, next + 64)]
            next = chunk.endIndex
            // Blocks whose ancestors were dropped (or that are invalid) are skipped.
            let blocks = try chunk.compactMap { try store.block($0.hash) }
            for (block, result) in zip(blocks, chain.submit(blocks, origin: .reindex)) {
                do {
                    _ = try result.get()
                } catch let error as StorageError {
                    // The disk, not the block: stop rather than leave the block out of the index.
                    throw error
                } catch {
                    logger.debug("reindex skipped an invalid block", metadata: ["hash": "\(block.hash)", "error": "\(error)"])
                }
            }
            if let report = meter.update(done: UInt64(next), total: UInt64(ordered.count), now: MonotonicTime.secondsNow()) {
                logger.info("reindexing: \(report.line(unit: "blocks"))", metadata: ["height": "\(chain.tip.height)"])
            }
        }
        var done = WriteBatch()
        done.delete(.meta, Array(MetaKey.reindexing.rawValue.utf8))
        try store.write(done, sync: true)
        let report = Report(blocksRead: found.count, blocksDropped: dropped, height: chain.tip.height)
        logger.notice("reindex complete", metadata: ["height": "\(report.height)"])
        return (chain, report)
    }

    /// The block under `hash`, or nil when its record is damaged or does not decode (it is
    /// dropped and counted); a failing disk is thrown, since dropping a block for an I/O
    /// error would lose it.
    static func readable(_ hash: Hash256, in store: ChainStore) throws -> Block? {
        do {
            return try store.block(hash)
        } catch let error as StorageError where error.code == .io || error.code == .noSpace {
            throw error
        } catch {
            return nil
        }
    }
}
