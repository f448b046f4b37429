import KeelMetrics
import Prometheus
import Synchronization

/// Every metric `keel-node` exposes, made on one registry with help text, base units and
/// histograms, and every labelled series created at start-up so it reads zero before the first
/// event (dashboards and `absent()` alerts need the series to exist).
///
/// Labels are bounded: origins, modes, routes and column families come from fixed lists.
public final class NodeMetrics: Sendable {
    /// The registry behind `/metrics`.
    public let registry = PrometheusCollectorRegistry()

    /// Where a block came from.
    public static let origins = ["miner", "peer", "api", "reindex", "reorg"]
    /// Signature verification modes.
    public static let modes = ["parallel", "sequential"]
    /// Response status classes.
    public static let statusClasses = ["2xx", "4xx", "5xx"]

    // MARK: chain
    /// `keel_chain_height`.
    public let chainHeight: Gauge
    /// `keel_blocks_connected_total{origin}`.
    public let blocksConnected: [String: Counter]
    /// `keel_reorgs_total`.
    public let reorgs: Counter
    /// `keel_reorg_depth`.
    public let reorgDepth: ValueHistogram
    /// `keel_block_connect_seconds`.
    public let blockConnectSeconds: ValueHistogram
    /// `keel_storage_write_seconds{sync}`: one store write (a block, a mempool or peer update).
    public let storageWriteSeconds: [String: ValueHistogram]
    /// `keel_block_propagation_seconds`.
    public let blockPropagationSeconds: ValueHistogram

    // MARK: signatures
    /// `keel_signature_verification_seconds{mode}`.
    public let signatureSeconds: [String: ValueHistogram]
    /// `keel_signatures_verified_total{mode}`.
    public let signaturesVerified: [String: Counter]

    // MARK: templates
    /// `keel_template_cache_hits_total`.
    public let templateHits: Counter
    /// `keel_template_cache_misses_total`.
    public let templateMisses: Counter
    /// `keel_template_build_seconds`.
    public let templateBuildSeconds: ValueHistogram

    // MARK: mempool
    /// `keel_mempool_transactions`.
    public let mempoolTransactions: Gauge
    /// `keel_mempool_bytes`.
    public let mempoolBytes: Gauge

    // MARK: mining
    /// `keel_mining_active`.
    public let miningActive: Gauge
    /// `keel_mining_threads`.
    public let miningThreads: Gauge
    /// `keel_mining_hashes_total` (advanced by the hashes counted since the last scrape).
    public let miningHashes: MonotonicCounter
    /// `keel_mining_stop_seconds`.
    public let miningStopSeconds: ValueHistogram

    // MARK: API
    /// `keel_api_requests_total{route,status_class}`.
    public let apiRequests: [String: Counter]
    /// `keel_api_request_seconds{route}`.
    public let apiRequestSeconds: [String: ValueHistogram]

    // MARK: storage
    /// `keel_rocksdb_sst_bytes{column_family}`.
    public let storageBytes: [String: Gauge]
    /// `keel_rocksdb_memtable_bytes{column_family}`: memory held in memtables (bounded by the
    /// write-buffer budget), so RSS growth from unflushed writes can be told from a leak.
    public let memtableBytes: [String: Gauge]
    /// `keel_rocksdb_block_cache_bytes`: bytes in RocksDB's one shared block cache (data,
    /// index and filter blocks); it fills up to its capacity and then stays there.
    public let blockCacheBytes: Gauge
    /// `keel_rocksdb_block_cache_capacity_bytes`: the block cache's bound.
    public let blockCacheCapacityBytes: Gauge
    /// `keel_rocksdb_table_readers_bytes`: readers of open SST files, outside the block cache.
    public let tableReaderBytes: Gauge
    /// `keel_chain_header_window_bytes`: headers held in memory near the tips (bounded by the
    /// window, whatever the chain's height).
    public let headerWindowBytes: Gauge
    /// `keel_p2p_send_queue_bytes`: frames queued for peers, not yet written.
    public let sendQueueBytes: Gauge
    /// `keel_storage_free_bytes`: free bytes (for an unprivileged process) on the data
    /// directory's filesystem, from statvfs.
    public let storageFreeBytes: Gauge
    /// `keel_storage_free_floor_bytes`: below this the node pauses writes and will not start.
    public let storageFreeFloorBytes: Gauge
    /// `keel_storage_writable`: 1 while the store takes writes, 0 while they are paused.
    public let storageWritable: Gauge
    /// `keel_rocksdb_write_stopped`: 1 while RocksDB stops writes (too many L0 files, memtables
    /// or pending compaction bytes), read at scrape time.
    public let rocksdbWriteStopped: Gauge
    /// `keel_rocksdb_delayed_write_rate_bytes`: the rate RocksDB slows writes to (0: not delayed).
    public let rocksdbDelayedWriteRate: Gauge
    /// `keel_rocksdb_pending_compaction_bytes`: bytes compaction must rewrite to reach its target
    /// shape, summed over column families (RocksDB delays writes as it grows).
    public let rocksdbPendingCompactionBytes: Gauge
    /// `keel_chain_tip_timestamp_seconds`: the tip block's own timestamp, so that tip age is
    /// `time() - keel_chain_tip_timestamp_seconds` without relying on scrape history.
    public let chainTipTimestamp: Gauge
    /// `keel_storage_write_failures_total`: writes RocksDB refused.
    public let storageWriteFailures: MonotonicCounter
    /// `keel_storage_read_failures_total`: reads RocksDB failed under a question answered as
    /// "unknown" (each also logged at error).
    public let storageReadFailures: Counter
    /// `keel_storage_records_dropped_total{column_family}`: damaged records dropped from the
    /// disposable families (peers, mempool).
    public let recordsDropped: [String: MonotonicCounter]

    // MARK: process
    /// The standard `process_*` metrics, read from /proc at scrape time.
    public let process: ProcessMetrics
    /// `keel_process_rss_growth_ratio`.
    public let rssGrowthRatio: Gauge
    /// `keel_process_rss_unaccounted_bytes`: RSS minus the bounded parts.
    public let rssUnaccounted: Gauge
    /// `keel_process_heap_bytes{state}`: the allocator's live bytes and what it holds beyond them.
    public let heapBytes: [String: Gauge]
    /// The baseline behind the growth ratio.
    public let rssGrowth: RSSGrowthTracker

    /// Creates every metric. `routes` are the API route templates (a bounded label set);
    /// `columnFamilies` the storage families.
    public init(routes: [String], columnFamilies: [String], version: String, commit: String, rssWarmup: Double) {
        let r = registry
        let fast: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
        let slow: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        chainHeight = r.makeGauge(descriptor: .keel("keel_chain_height", "Height of the active chain tip."))
        blocksConnected = r.counters(
            "keel_blocks_connected_total", "Blocks connected to the active chain, by where they came from.", label: "origin", values: NodeMetrics.origins)
        reorgs = r.makeCounter(descriptor: .keel("keel_reorgs_total", "Reorganizations: switches to a branch with more work."))
        reorgDepth = r.makeValueHistogram(
            descriptor: .keel("keel_reorg_depth", "Blocks disconnected per reorganization."), buckets: [1, 2, 3, 5, 10, 20, 50, 100])
        storageWriteSeconds = r.histograms(
            "keel_storage_write_seconds", "Time one RocksDB write batch takes, by whether it is fsynced: the disk's latency as the chain sees it.",
            label: "sync", values: ["true", "false"], buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1])
        blockConnectSeconds = r.makeValueHistogram(
            descriptor: .keel("keel_block_connect_seconds", "Time to validate and commit one block, in seconds."), buckets: slow)
        blockPropagationSeconds = r.makeValueHistogram(
            descriptor: .keel(
                "keel_block_propagation_seconds",
                "Arrival time minus the block's timestamp, for blocks not mined by this node that arrive at the network's tip (not those fetched while catching up), in seconds."
            ), buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120])
        signatureSeconds = r.histograms(
            "keel_signature_verification_seconds", "Time to verify one batch of signatures, in seconds, by mode.", label: "mode", values: NodeMetrics.modes,
            buckets: fast)
        signaturesVerified = r.counters("keel_signatures_verified_total", "Signatures checked, by verification mode.", label: "mode", values: NodeMetrics.modes)
        templateHits = r.makeCounter(descriptor: .keel("keel_template_cache_hits_total", "Block templates served from the cache."))
        templateMisses = r.makeCounter(descriptor: .keel("keel_template_cache_misses_total", "Block templates that had to be built."))
        templateBuildSeconds = r.makeValueHistogram(
            descriptor: .keel("keel_template_build_seconds", "Time to build a block template, in seconds."), buckets: fast)
        mempoolTransactions = r.makeGauge(descriptor: .keel("keel_mempool_transactions", "Transactions in the mempool."))
        mempoolBytes = r.makeGauge(descriptor: .keel("keel_mempool_bytes", "Encoded bytes of the transactions in the mempool."))
        miningActive = r.makeGauge(descriptor: .keel("keel_mining_active", "1 while the miner runs, 0 otherwise."))
        miningThreads = r.makeGauge(descriptor: .keel("keel_mining_threads", "Mining worker threads running."))
        miningHashes = MonotonicCounter(r.makeCounter(descriptor: .keel("keel_mining_hashes_total", "Proof-of-work hashes tried.")))
        miningStopSeconds = r.makeValueHistogram(
            descriptor: .keel("keel_mining_stop_seconds", "Time from a stop request until every mining thread has exited, in seconds."), buckets: fast)
        var requests = [String: Counter]()
        var durations = [String: ValueHistogram]()
        for route in routes {
            for status in NodeMetrics.statusClasses {
                requests[route + " " + status] = r.makeCounter(
                    descriptor: .keel("keel_api_requests_total", "API requests answered, by route template and status class."),
                    labels: [("route", route), ("status_class", status)])
            }
            durations[route] = r.makeValueHistogram(
                descriptor: .keel("keel_api_request_seconds", "Time to answer an API request, in seconds, by route template."), labels: [("route", route)],
                buckets: fast)
        }
        apiRequests = requests
        apiRequestSeconds = durations
        storageBytes = r.gauges("keel_rocksdb_sst_bytes", "Bytes of RocksDB SST files, by column family.", label: "column_family", values: columnFamilies)
        memtableBytes = r.gauges(
            "keel_rocksdb_memtable_bytes", "Bytes held in RocksDB memtables (active, unflushed and still pinned), by column family.", label: "column_family",
            values: columnFamilies)
        blockCacheBytes = r.makeGauge(
            descriptor: .keel(
                "keel_rocksdb_block_cache_bytes",
                "Bytes in RocksDB's shared block cache (data, index and filter blocks); bounded by keel_rocksdb_block_cache_capacity_bytes."))
        blockCacheCapacityBytes = r.makeGauge(descriptor: .keel("keel_rocksdb_block_cache_capacity_bytes", "Capacity of RocksDB's shared block cache."))
        tableReaderBytes = r.makeGauge(
            descriptor: .keel(
                "keel_rocksdb_table_readers_bytes",
                "Bytes RocksDB's readers of open SST files hold outside the block cache (bounded by the open-file limit)."))
        headerWindowBytes = r.makeGauge(
            descriptor: .keel(
                "keel_chain_header_window_bytes",
                "Approximate bytes of the block headers held in memory near the tips (a window bounded by configuration, not by height)."))
        sendQueueBytes = r.makeGauge(descriptor: .keel("keel_p2p_send_queue_bytes", "Bytes of P2P frames queued for peers and not yet written."))
        storageFreeBytes = r.makeGauge(
            descriptor: .keel("keel_storage_free_bytes", "Free bytes on the filesystem holding the data directory (statvfs, as available to the node)."))
        storageFreeFloorBytes = r.makeGauge(
            descriptor: .keel(
                "keel_storage_free_floor_bytes",
                "Free space below which the node pauses writes (and will not start): room for RocksDB's memtable flushes and MANIFEST."))
        storageWritable = r.makeGauge(
            descriptor: .keel("keel_storage_writable", "1 while the store takes writes; 0 while they are paused (disk full, I/O error), see /ready for why."))
        storageWritable.set(to: 1)
        rocksdbWriteStopped = r.makeGauge(
            descriptor: .keel("keel_rocksdb_write_stopped", "1 while RocksDB stops writes until compaction or flushes catch up (rocksdb.is-write-stopped)."))
        rocksdbDelayedWriteRate = r.makeGauge(
            descriptor: .keel(
                "keel_rocksdb_delayed_write_rate_bytes",
                "Bytes per second RocksDB slows writes to while compaction is behind; 0 when writes are not delayed (rocksdb.actual-delayed-write-rate)."))
        rocksdbPendingCompactionBytes = r.makeGauge(
            descriptor: .keel(
                "keel_rocksdb_pending_compaction_bytes",
                "Estimated bytes compaction still has to rewrite, summed over column families (rocksdb.estimate-pending-compaction-bytes)."))
        chainTipTimestamp = r.makeGauge(
            descriptor: .keel("keel_chain_tip_timestamp_seconds", "The tip block's timestamp, Unix seconds: time() minus this is the tip's age."))
        recordsDropped = Dictionary(
            uniqueKeysWithValues: ["peers", "mempool"].map {
                (
                    $0,
                    MonotonicCounter(
                        r.makeCounter(
                            descriptor: .keel(
                                "keel_storage_records_dropped_total",
                                "Damaged records skipped and deleted from a disposable column family (the address book, the persisted mempool)."),
                            labels: [("column_family", $0)]))
                )
            })
        storageWriteFailures = MonotonicCounter(
            r.makeCounter(
                descriptor: .keel(
                    "keel_storage_write_failures_total",
                    "Writes RocksDB refused (disk full, I/O error, read-only filesystem).")))
        storageReadFailures = r.makeCounter(
            descriptor: .keel(
                "keel_storage_read_failures_total",
                "Store reads that failed under a question answered as unknown (a peer's locator, a header lookup); each is logged."))
        r.makeGauge(
            descriptor: .keel("keel_build_info", "Always 1; the labels say which build is running."), labels: [("version", version), ("commit", commit)]
        ).set(to: 1.0)
        process = ProcessMetrics(registry: r)
        rssGrowthRatio = r.makeGauge(
            descriptor: .keel(
                "keel_process_rss_growth_ratio",
                "Unaccounted resident memory (keel_process_rss_unaccounted_bytes) over its value when the warm-up ended, minus one (0 during warm-up)."))
        heapBytes = r.gauges(
            "keel_process_heap_bytes", "The allocator (jemalloc): bytes in live allocations (in_use), and resident bytes it holds beyond them (overhead).",
            label: "state", values: ["in_use", "overhead"])
        rssUnaccounted = r.makeGauge(
            descriptor: .keel(
                "keel_process_rss_unaccounted_bytes",
                "Resident memory minus the bounded parts (RocksDB block cache, memtables and table readers, header window, mempool, peer send queues) and the allocator's overhead: flat on a healthy node."
            ))
        rssGrowth = RSSGrowthTracker(warmup: rssWarmup)
    }

    /// Sets the memory gauges from `account` and the resident size, and feeds the growth
    /// baseline (taken once the warm-up has ended).
    public func observe(_ account: MemoryAccount, residentBytes: UInt64) {
        let unaccounted = account.unaccounted(resident: residentBytes)
        headerWindowBytes.set(to: Double(account.headerWindow))
        sendQueueBytes.set(to: Double(account.peerBuffers))
        rssUnaccounted.set(to: Double(unaccounted))
        rssGrowth.observe(unaccountedBytes: unaccounted)
        rssGrowthRatio.set(to: rssGrowth.ratio(unaccountedBytes: unaccounted))
    }

    /// Records one API request.
    public func recordRequest(route: String, status: Int, seconds: Double) {
        let statusClass = status >= 500 ? "5xx" : status >= 400 ? "4xx" : "2xx"
        apiRequests[route + " " + statusClass]?.increment()
        apiRequestSeconds[route]?.record(seconds)
    }

    /// The Prometheus text exposition, after calling `refresh` (which sets the gauges that are
    /// cheaper to read at scrape time than to keep current, and returns what the bounded parts
    /// hold) and reading the process metrics.
    public func render(refresh: () -> MemoryAccount = { MemoryAccount() }) -> [UInt8] {
        let account = refresh()
        let heap = Heap.read()
        heapBytes["in_use"]?.set(to: Double(heap.allocated))
        heapBytes["overhead"]?.set(to: Double(heap.overhead))
        if let sample = ProcessSample.read() {
            process.update(sample)
            observe(account, residentBytes: sample.residentBytes)
        }
        var buffer = [UInt8]()
        buffer.reserveCapacity(16_384)
        registry.emit(into: &buffer)
        return buffer
    }

    /// The content type of `render()`'s output.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
