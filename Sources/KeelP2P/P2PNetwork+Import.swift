import KeelChain
import KeelCore

extension P2PNetwork {
    /// What became of one imported block, in a form that crosses threads.
    enum ImportOutcome: Sendable, Equatable {
        /// Connected, stored on a side branch, or known already.
        case stored
        /// Its timestamp is ahead of our clock: maybe our clock's fault, so nobody is blamed.
        case fromTheFuture
        /// It broke a rule, or is known to be invalid (a child of a known-invalid block too).
        case invalid(String)
        /// Its branch has too little work to be stored.
        case lowWork
        /// The store failed (logged; the storage watch decides what the node does).
        case failed(String)

        init(_ result: Result<ChainState.SubmitResult, any Error>) {
            switch result {
            case .success:
                self = .stored
            case .failure(let error as ConsensusError) where error.code == .timestampTooNew:
                self = .fromTheFuture
            case .failure(let error as ConsensusError):
                self = .invalid("\(error.code): \(error.message)")
            case .failure(let error as ChainError) where error.code == .knownInvalid:
                self = .invalid(error.message)
            case .failure(let error as ChainError) where error.code == .lowWork:
                self = .lowWork
            case .failure(let error):
                self = .failed("\(error)")
            }
        }
    }

    /// Queues blocks whose parent is in the chain or queued, with the children the orphan pool
    /// held for them, and wakes the importer. A block the full queue refuses whose parent is
    /// still queued is held again (released when its parent is stored, see `settle`): it was
    /// downloaded, and a sync from three peers fetched 4,000 of 10,000 blocks twice when the
    /// children an arriving parent released overflowed the queue. The rest is set aside to be
    /// asked for again.
    func enqueue(_ entries: [BlockImportQueue.Entry]) {
        var all = entries
        var next = 0
        while next < all.count {
            let children = orphans.withLock { $0.takeChildren(of: all[next].hash) }
            all += children.map(BlockImportQueue.Entry.init)
            next += 1
        }
        let (refused, waiting) = imports.withLock { queue in
            let refused = all.filter { !queue.add($0) }
            // Parents come before children here, so a child of one held again is held too.
            var waiting = Set<Hash256>()
            for entry in refused where queue.contains(entry.block.header.previousHash) || waiting.contains(entry.block.header.previousHash) {
                waiting.insert(entry.hash)
            }
            return (refused, waiting)
        }
        if !refused.isEmpty {
            metrics.refusedDownload("import_queue_full", count: refused.count)
            let now = P2PNetwork.monotonicMilliseconds()
            var aside = refused.filter { !waiting.contains($0.hash) }.compactMap(\.item)
            orphans.withLock { pool in
                for entry in refused where waiting.contains(entry.hash) {
                    guard let item = entry.item else { continue }
                    let (refusal, evicted) = pool.add(entry.block, item: item, from: entry.peer, size: entry.size, now: now)
                    if refusal != nil { aside.append(item) }
                    aside += evicted
                }
            }
            if !aside.isEmpty { downloader.withLock { $0.park(aside) } }
            // A parent stored meanwhile released its children before they were held: again.
            let parents = Set(refused.filter { waiting.contains($0.hash) }.map(\.block.header.previousHash))
            let stored = parents.filter { parent in !imports.withLock { $0.contains(parent) } && chain.knowsBlock(parent) }
            let late = orphans.withLock { pool in stored.flatMap { pool.takeChildren(of: $0) } }
            if !late.isEmpty { enqueue(late.map(BlockImportQueue.Entry.init)) }
        }
        importSink.yield()
        updateDownloadGauges()
    }

    /// Imports what is queued, a batch at a time, until shutdown. A batch runs on the
    /// importer's own thread (validation blocks on RocksDB and the signature checks), and what
    /// arrives meanwhile waits to be the next batch.
    func importLoop() async {
        for await _ in importSignals {
            while true {
                let batch = imports.withLock { $0.take() }
                guard !batch.isEmpty else { break }
                let chain = self.chain
                let blocks = batch.map(\.block), rules = batch.map(\.rule)
                let outcomes: [ImportOutcome]
                do {
                    outcomes = try await importThread.runIfActive { chain.submit(blocks, origin: .peer, rules: rules).map(ImportOutcome.init) }
                } catch {
                    // The pool is shutting down: so is the node.
                    imports.withLock { $0.finish() }
                    return
                }
                imports.withLock { $0.finish() }
                settle(batch, outcomes)
            }
        }
    }

    /// Charges each sender for what its blocks turned out to be, and moves the download on.
    func settle(_ batch: [BlockImportQueue.Entry], _ outcomes: [ImportOutcome]) {
        let now = P2PNetwork.monotonicMilliseconds()
        for (entry, outcome) in zip(batch, outcomes) {
            let sender = state.withLock { $0.peers[entry.peer] }
            switch outcome {
            case .stored:
                sender?.state.withLock { $0.lastBlockAt = now }
            case .fromTheFuture:
                logger.notice("block from the future", metadata: ["hash": "\(entry.hash)"])
            case .invalid(let reason):
                if let sender { offend(sender, .invalidBlock, reason) }
            case .lowWork:
                metrics.ignore("block", "low_work")
                logger.debug("block with too little work not stored", metadata: ["hash": "\(entry.hash)"])
            case .failed(let error):
                logger.error("could not store a block from a peer", metadata: ["hash": "\(entry.hash)", "error": "\(error)"])
            }
        }
        // Children held while the queue was full follow their parent now it is stored.
        let released = orphans.withLock { pool in batch.flatMap { pool.takeChildren(of: $0.hash) } }
        if !released.isEmpty { enqueue(released.map(BlockImportQueue.Entry.init)) }
        tipMoved(except: nil, everyone: true)
        updateDownloadGauges()
    }
}
