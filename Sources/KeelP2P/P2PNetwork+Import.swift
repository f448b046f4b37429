import KeelChain
import KeelCore
import KeelMetrics

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
        // Held again under the queue's lock: its parent is then either still queued, and the
        // importer's `settle` (after the parent leaves the queue) takes the child out again, or
        // gone, and the child is set aside. No window between the two.
        let now = P2PNetwork.monotonicMilliseconds()
        let (refused, aside) = imports.withLock { queue -> (Int, [BlockDownloader.Item]) in
            let refused = all.filter { !queue.add($0) }
            guard !refused.isEmpty else { return (0, []) }
            var aside = [BlockDownloader.Item]()
            // Parents come before children here, so a child of one held again is held too.
            var held = Set<Hash256>()
            orphans.withLock { pool in
                for entry in refused {
                    guard let item = entry.item else { continue }
                    let parent = entry.block.header.previousHash
                    guard queue.contains(parent) || held.contains(parent) else {
                        aside.append(item)
                        continue
                    }
                    let (refusal, evicted) = pool.add(entry.block, item: item, from: entry.peer, size: entry.size, now: now)
                    if refusal == nil { held.insert(entry.hash) } else { aside.append(item) }
                    aside += evicted
                }
            }
            return (refused.count, aside)
        }
        if refused > 0 { metrics.refusedDownload("import_queue_full", count: refused) }
        if !aside.isEmpty { downloader.withLock { $0.park(aside) } }
        importSink.yield()
        updateDownloadGauges()
    }

    /// Imports what is queued until shutdown. The importer's own thread takes batch after batch
    /// while any is queued (validation blocks on RocksDB and the signature checks): returning
    /// to this task between batches idled it for two thread hand-offs and the download's
    /// bookkeeping each time (0.13 s of a 1 s sync from one peer). What arrives meanwhile waits
    /// to be the next batch.
    func importLoop() async {
        for await _ in importSignals {
            do {
                try await importThread.runIfActive { self.importQueued() }
            } catch {
                // The pool is shutting down: so is the node.
                imports.withLock { $0.finish() }
                return
            }
        }
    }

    /// On the importer's thread: submits the queued blocks a batch at a time until none is
    /// left (or the node stops), settling each batch before the next is taken. A sync's
    /// thousands of blocks a second run under the allocator's bulk setting (`Heap.bulk`).
    func importQueued() {
        Heap.bulk { importBatches() }
    }

    private func importBatches() {
        while !state.withLock({ $0.stopping }) {
            let batch = imports.withLock { $0.take() }
            guard !batch.isEmpty else { return }
            let outcomes = chain.submit(batch.map(\.block), origin: .peer, rules: batch.map(\.rule)).map(ImportOutcome.init)
            imports.withLock { $0.finish() }
            settle(batch, outcomes)
        }
    }

    /// Charges each sender for what its blocks turned out to be and queues the children held
    /// for them; the download moves on in `progressLoop`, beside the next batch.
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
        progressSink.yield()
    }

    /// After imports: every peer is asked for more (the queue has room again and the download
    /// ceiling rose). Batches that end while one round runs share the next.
    func progressLoop() async {
        for await _ in progressSignals {
            tipMoved(except: nil, everyone: true)
            updateDownloadGauges()
        }
    }
}
