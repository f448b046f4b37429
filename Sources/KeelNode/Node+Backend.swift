import KeelAPI
import KeelAPIModels
import KeelChain
import KeelCore
import KeelMetrics
import KeelMining
import KeelStorage

/// The node as the API sees it.
extension Node: NodeBackend {
    /// The network the node was started on.
    public var network: Network { configuration.network }
    /// The version string.
    public var version: String { Node.version }
    /// The chain, once loaded.
    public var chain: ChainState? { loaded.withLock { $0?.chain } }
    /// What the node is doing.
    public var phase: String { phaseName.withLock { $0 } }
    /// Whether the store is open.
    public var isStoreOpen: Bool { !store.database.isClosed }
    /// The node's coinbase address.
    public var defaultPayTo: AddressHash { coinbaseAddress.hash }
    /// Peers that completed the handshake.
    public var peerCount: Int { p2pNetwork?.peers().count ?? 0 }

    /// Why the node is not ready.
    public func readinessFailures() -> [String] {
        var reasons = [String]()
        let phase = self.phase
        if phase != "running" { reasons.append("the node is \(phase)") }
        if !isStoreOpen { reasons.append("the store is not open") }
        if let pause = store.writeGate.pause { reasons.append("writes are paused: \(pause.reason)") }
        if let chain {
            let age = Double(SystemClock().nowMilliseconds() &- chain.tip.timestamp) / 1000
            if age > configuration.maxTipAge {
                reasons.append("the tip is \(Int(age)) s old (limit \(Int(configuration.maxTipAge)) s; --max-tip-age)")
            }
        }
        if let p2p = p2pNetwork { reasons += p2p.readinessProblems() }
        return reasons
    }

    /// The miner's state.
    public func miningStatus() -> API.Mining {
        // The payout address is the node's whether or not it mines right now.
        guard let miner = loaded.withLock({ $0?.miner }) else {
            return API.Mining(active: false, threads: 0, hashesTotal: 0, payTo: coinbaseAddress.string)
        }
        let status = miner.status
        return API.Mining(
            active: status.active, threads: status.threads, hashesTotal: miner.hashesTotal,
            payTo: status.payTo.map { Address(hash: $0, network: network).string } ?? coinbaseAddress.string)
    }

    /// Starts or re-threads the miner.
    public func startMining(threads: Int) throws -> API.Mining {
        guard let miner = loaded.withLock({ $0?.miner }) else { throw NodeError("the node is \(phase)") }
        miner.start(threads: threads, payTo: coinbaseAddress.hash)
        metrics.miningActive.set(to: 1)
        metrics.miningThreads.set(to: Double(threads))
        return miningStatus()
    }

    /// Stops the miner and records how long the stop took.
    public func stopMining() -> (API.Mining, Double) {
        guard let miner = loaded.withLock({ $0?.miner }) else { return (miningStatus(), 0) }
        let wasActive = miner.status.active
        let seconds = miner.stop()
        if wasActive { metrics.miningStopSeconds.record(seconds) }
        metrics.miningActive.set(to: 0)
        metrics.miningThreads.set(to: 0)
        return (miningStatus(), seconds)
    }

    /// The Prometheus exposition, with the scrape-time gauges refreshed.
    public func metricsText() -> [UInt8] {
        metrics.render {
            let parts = loaded.withLock { $0 }
            if let chain = parts?.chain {
                let tip = chain.tip
                metrics.chainHeight.set(to: Double(tip.height))
                metrics.chainTipTimestamp.set(to: Double(tip.timestamp) / 1000)
                let pool = chain.mempoolSize
                metrics.mempoolTransactions.set(to: Double(pool.count))
                metrics.mempoolBytes.set(to: Double(pool.bytes))
            }
            if let miner = parts?.miner { metrics.miningHashes.update(total: miner.hashesTotal) }
            for (family, gauge) in metrics.storageBytes {
                if let cf = ColumnFamily(rawValue: family), let bytes = store.database.integerProperty(cf, "rocksdb.total-sst-files-size") {
                    gauge.set(to: Double(bytes))
                }
            }
            refreshStallGauges()
            let account = memoryAccount()
            metrics.blockCacheCapacityBytes.set(to: Double(store.database.blockCacheCapacity))
            metrics.blockCacheBytes.set(to: Double(account.blockCache))
            return account
        }
    }

    /// RocksDB's write-stall state: stopped, the delayed rate, and the compaction backlog behind them.
    func refreshStallGauges() {
        let database = store.database
        var stopped: UInt64 = 0, delayed: UInt64 = 0, pending: UInt64 = 0
        for family in ColumnFamily.allCases {
            stopped = max(stopped, database.integerProperty(family, "rocksdb.is-write-stopped") ?? 0)
            delayed = max(delayed, database.integerProperty(family, "rocksdb.actual-delayed-write-rate") ?? 0)
            pending += database.integerProperty(family, "rocksdb.estimate-pending-compaction-bytes") ?? 0
        }
        metrics.rocksdbWriteStopped.set(to: Double(stopped))
        metrics.rocksdbDelayedWriteRate.set(to: Double(delayed))
        metrics.rocksdbPendingCompactionBytes.set(to: Double(pending))
    }

    /// What the bounded parts hold now (block cache, memtables, table readers, header window,
    /// mempool, peer send queues) and the allocator's slack; sets the per-family memtable gauges
    /// on the way.
    func memoryAccount() -> MemoryAccount {
        var account = MemoryAccount()
        for (family, gauge) in metrics.memtableBytes {
            // Active, unflushed and flushed-but-still-pinned memtables: all of it is resident.
            if let cf = ColumnFamily(rawValue: family), let bytes = store.database.integerProperty(cf, "rocksdb.size-all-mem-tables") {
                gauge.set(to: Double(bytes))
                account.memtables += bytes
            }
            // Open SST files' readers, outside the block cache (bounded by the open-file limit).
            if let cf = ColumnFamily(rawValue: family), let bytes = store.database.integerProperty(cf, "rocksdb.estimate-table-readers-mem") {
                account.tableReaders += bytes
            }
        }
        metrics.tableReaderBytes.set(to: Double(account.tableReaders))
        account.blockCache = UInt64(store.database.blockCacheUsage ?? 0)
        if let chain = loaded.withLock({ $0?.chain }) {
            account.headerWindow = UInt64(chain.headerWindow.bytes)
            account.mempool = UInt64(chain.mempoolSize.bytes)
        }
        account.peerBuffers = UInt64(p2p.withLock { $0 }?.queuedBytes ?? 0)
        account.allocatorOverhead = Heap.read().overhead
        return account
    }
}
