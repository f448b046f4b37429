import KeelCore
import KeelStorage

extension ChainState {
    /// Validates `tx` against the UTXO set and the mempool and adds it (persisted). Inputs must
    /// be confirmed, unspent, mature and owned; no other pooled transaction may spend them.
    @discardableResult
    public func submitTransaction(_ tx: Transaction) throws -> Hash256 {
        try state.withLock { s in
            let (txid, evicted) = try admit(tx, &s)
            var batch = WriteBatch()
            batch.putMempool(tx, txid: txid)
            for id in evicted { batch.deleteMempool(id) }
            try store.write(batch, sync: false)
            s.generation += 1
            notify([.transactionAccepted(txid)])
            return txid
        }
    }

    /// The pooled transactions, highest fee rate first.
    public var mempoolEntries: [Mempool.Entry] { state.withLock { $0.mempool.byFeeRate } }

    /// The number of pooled transactions and their bytes.
    public var mempoolSize: (count: Int, bytes: Int) { publishedPool.value }

    /// The pooled transaction that spends `outpoint`, if any.
    public func mempoolSpender(of outpoint: OutPoint) -> Hash256? { state.withLock { $0.mempool.spender(of: outpoint) } }

    /// The pooled entry `txid` (transaction, fee, size), without sorting the pool.
    public func mempoolEntry(_ txid: Hash256) -> Mempool.Entry? { state.withLock { $0.mempool.entry(txid) } }

    /// The pooled transaction `txid`.
    public func mempoolTransaction(_ txid: Hash256) -> Transaction? { mempoolEntry(txid)?.tx }

    private func admit(_ tx: Transaction, _ s: inout State) throws -> (Hash256, [Hash256]) {
        let txid = tx.txid
        if s.mempool.contains(txid) { throw ChainError(.alreadyKnown, "transaction \(txid) is already in the mempool") }
        if try store.txLocation(txid) != nil { throw ChainError(.alreadyKnown, "transaction \(txid) is already confirmed") }
        guard !tx.isCoinbase else { throw ConsensusError(.malformed, "a coinbase cannot enter the mempool") }
        var seen = Set<OutPoint>()
        for input in tx.inputs {
            guard seen.insert(input.previous).inserted else {
                throw ConsensusError(.doubleSpend, "output \(input.previous) is spent twice in the transaction")
            }
            if let other = s.mempool.spender(of: input.previous) {
                throw ChainError(.mempoolConflict, "output \(input.previous) is already spent by mempool transaction \(other)")
            }
        }
        let size = tx.encoded.count
        guard size <= network.maxBlockSize / 4 else {
            throw ConsensusError(.blockSize, "transaction is \(size) bytes; the relay limit is \(network.maxBlockSize / 4)")
        }
        let checked = try ConsensusRules.checkInputs(tx, view: StoreUTXOView(store: store), spendHeight: s.tip.height + 1, network: network)
        if let failed = verifier.verify(ConsensusRules.signatureJobs(for: tx)) {
            throw ConsensusError(.badSignature, "the signature of input \(failed) does not verify")
        }
        let evicted = try s.mempool.insert(Mempool.Entry(tx: tx, txid: txid, fee: checked.fee, size: size))
        return (txid, evicted)
    }

    /// Loads the persisted mempool, keeping what still validates and deleting the rest.
    func reloadMempool(_ s: inout State) throws {
        try rebuildMempool(&s, adding: try store.mempoolTransactions())
    }

    /// Revalidates the pool plus `extra` (after a reorg, or at start) and rewrites the mempool
    /// column family to match.
    func rebuildMempool(_ s: inout State, adding extra: [Transaction]) throws {
        let candidates = s.mempool.byFeeRate.map(\.tx) + extra
        s.mempool = Mempool(limits: s.mempool.limits)
        var batch = WriteBatch()
        batch.clear(.mempool)
        for tx in candidates {
            do {
                let (txid, evicted) = try admit(tx, &s)
                batch.putMempool(tx, txid: txid)
                for id in evicted { batch.deleteMempool(id) }
            } catch {
                // No longer valid on the new tip (spent, immature, over the limits): dropped, as
                // the mempool is a cache the sender can fill again.
                logger.debug("mempool transaction dropped on re-admission", metadata: ["txid": "\(tx.txid)", "error": "\(error)"])
            }
        }
        try store.write(batch, sync: false)
        s.generation += 1
    }
}
