import Foundation
import KeelClient
import KeelFiles
import Logging
import ServiceLifecycle
import Synchronization

/// Scrapes the node's `/metrics` over libcurl on an interval, keeps the figures the alert
/// rules and soaks need in a bounded window, and hands each reading to `onReading`.
public final class Sampler: Service, Sendable {
    /// What one scrape told us (nil where the node did not expose the series).
    public struct Reading: Sendable {
        /// Unix seconds.
        public var time: Double
        /// `keel_chain_height`.
        public var height: Double?
        /// `keel_chain_tip_timestamp_seconds`.
        public var tipTime: Double?
        /// `keel_p2p_best_peer_height`.
        public var bestPeerHeight: Double?
        /// Sum of `keel_peers`.
        public var peers: Double?
        /// `process_resident_memory_bytes`.
        public var rss: Double?
        /// `keel_process_rss_growth_ratio`.
        public var rssGrowth: Double?
        /// `keel_mining_active`.
        public var miningActive: Double?
        /// `keel_mining_hashes_total`.
        public var hashes: Double?
        /// `process_open_fds`.
        public var openFDs: Double?
        /// Cumulative buckets of `keel_mining_stop_seconds`.
        public var miningStop: [(le: Double, count: Double)]
        /// Cumulative buckets of `keel_block_propagation_seconds`.
        public var propagation: [(le: Double, count: Double)]
        /// The `version` label of `keel_build_info`.
        public var version: String?
        /// `keel_mining_threads`.
        public var miningThreads: Double?
        /// `keel_peers{direction="inbound"}`.
        public var inbound: Double?
        /// `keel_peers{direction="outbound"}`.
        public var outbound: Double?
        /// `keel_mining_stop_seconds_sum`: with the count, how long the last stop took.
        public var miningStopSum: Double?
        /// `keel_mining_stop_seconds_count`.
        public var miningStopCount: Double?
        /// Where the resident memory is (nil when the node does not report its parts).
        public var memory: Memory?

        /// The node's resident memory by part, in bytes, as its own metrics account for it.
        public struct Memory: Sendable {
            /// RocksDB's block cache, memtables and table readers.
            public var rocksdb: Double
            /// The header window and the mempool.
            public var chain: Double
            /// Frames queued for peers.
            public var peers: Double
            /// Resident bytes the allocator holds beyond live allocations.
            public var allocator: Double
            /// `keel_process_rss_unaccounted_bytes`: the rest.
            public var unaccounted: Double
        }

        /// Reads the figures out of a scrape taken at `time`.
        public init(_ text: MetricsText, time: Double) {
            self.time = time
            height = text.value("keel_chain_height")
            tipTime = text.value("keel_chain_tip_timestamp_seconds")
            bestPeerHeight = text.value("keel_p2p_best_peer_height")
            peers = text.sum("keel_peers")
            rss = text.value("process_resident_memory_bytes")
            rssGrowth = text.value("keel_process_rss_growth_ratio")
            miningActive = text.value("keel_mining_active")
            hashes = text.value("keel_mining_hashes_total")
            openFDs = text.value("process_open_fds")
            miningStop = text.buckets("keel_mining_stop_seconds")
            propagation = text.buckets("keel_block_propagation_seconds")
            version = text.samples.first { $0.name == "keel_build_info" }?.labels["version"]
            miningThreads = text.value("keel_mining_threads")
            inbound = text.value("keel_peers", ["direction": "inbound"])
            outbound = text.value("keel_peers", ["direction": "outbound"])
            miningStopSum = text.value("keel_mining_stop_seconds_sum")
            miningStopCount = text.value("keel_mining_stop_seconds_count")
            if let unaccounted = text.value("keel_process_rss_unaccounted_bytes") {
                let rocksdb =
                    (text.value("keel_rocksdb_block_cache_bytes") ?? 0) + (text.sum("keel_rocksdb_memtable_bytes") ?? 0)
                    + (text.value("keel_rocksdb_table_readers_bytes") ?? 0)
                memory = Memory(
                    rocksdb: rocksdb, chain: (text.value("keel_chain_header_window_bytes") ?? 0) + (text.value("keel_mempool_bytes") ?? 0),
                    peers: text.value("keel_p2p_send_queue_bytes") ?? 0, allocator: text.value("keel_process_heap_bytes", ["state": "overhead"]) ?? 0,
                    unaccounted: unaccounted)
            }
        }
    }

    /// Seconds between scrapes, and readings kept: both replaced by a reload.
    var interval: Double { shape.withLock { $0.interval } }
    var capacity: Int { shape.withLock { $0.capacity } }
    private let shape: Mutex<(interval: Double, capacity: Int)>
    let metricsURL: @Sendable () -> String?
    let metrics: SidecarMetrics
    let logger: Logger
    let onReading: @Sendable (Reading?) -> Void
    /// One client for every scrape: its copies share idle handles, so a scrape reuses the last
    /// one's connection to the node instead of a new handshake each interval.
    private let client = HTTPClient()
    private let window = Mutex<(readings: [Reading], memory: MemorySpan.Blocks)>(([], MemorySpan.Blocks()))

    /// A sampler every `interval` seconds keeping `windowSeconds` of readings; `onReading`
    /// gets each reading, or nil when a scrape failed.
    public init(
        interval: Double, windowSeconds: Double, metricsURL: @escaping @Sendable () -> String?, metrics: SidecarMetrics, logger: Logger,
        onReading: @escaping @Sendable (Reading?) -> Void = { _ in }
    ) {
        shape = Mutex((interval, Sampler.capacity(interval: interval, windowSeconds: windowSeconds)))
        self.metricsURL = metricsURL
        self.metrics = metrics
        self.logger = logger
        self.onReading = onReading
    }

    private static func capacity(interval: Double, windowSeconds: Double) -> Int {
        max(2, min(100_000, Int((windowSeconds / interval).rounded(.up)) + 1))
    }

    /// Takes a reloaded interval and window (SIGHUP); the readings already held are kept (the
    /// newest, when the window shrank). The new interval applies from the next scrape.
    public func reload(interval: Double, windowSeconds: Double) {
        let capacity = Sampler.capacity(interval: interval, windowSeconds: windowSeconds)
        shape.withLock { $0 = (interval, capacity) }
        window.withLock {
            if $0.readings.count > capacity { $0.readings.removeFirst($0.readings.count - capacity) }
            if let oldest = $0.readings.first?.time { $0.memory.trim(before: oldest) }
        }
    }

    /// The readings in the window, oldest first.
    public var readings: [Reading] { window.withLock { $0.readings } }

    /// The readings, and the memory spans of `MemorySpan.blockSize` readings that cover them
    /// (the oldest may begin before the window), read together.
    public var readingsAndMemory: (readings: [Reading], memory: [MemorySpan]) { window.withLock { ($0.readings, $0.memory.complete) } }

    /// Scrapes until graceful shutdown.
    public func run() async throws {
        var failuresLogged = 0
        while !(Task.isShuttingDownGracefully || Task.isCancelled) {
            do {
                guard let url = metricsURL() else { throw SidecarError(.scrape, "the node's API address is not known yet") }
                let interval = self.interval
                var client = self.client
                client.connectTimeout = max(1, min(10, interval))
                client.timeout = client.connectTimeout
                let text = try await Sampler.scrape(url, with: client)
                let reading = Reading(text, time: Date().timeIntervalSince1970)
                let capacity = self.capacity
                window.withLock {
                    $0.readings.append(reading)
                    $0.memory.append(reading)
                    if $0.readings.count > capacity {
                        $0.readings.removeFirst($0.readings.count - capacity)
                        if let oldest = $0.readings.first?.time { $0.memory.trim(before: oldest) }
                    }
                }
                metrics.scraped(ok: true)
                failuresLogged = 0
                onReading(reading)
            } catch {
                metrics.scraped(ok: false)
                if failuresLogged < 3 { logger.debug("scrape failed", metadata: ["error": "\(error)"]) }
                failuresLogged += 1
                onReading(nil)
            }
            await Monotonic.sleep(interval) { Task.isShuttingDownGracefully || Task.isCancelled }
        }
    }

    /// One scrape of `url` with `client` (its timeouts), parsed.
    public static func scrape(_ url: String, with client: HTTPClient) async throws -> MetricsText {
        let result: Result<String, SidecarError> = await Blocking.run {
            do {
                let response = try client.request("GET", url, maxResponseBytes: 16 << 20)
                guard response.status == 200 else { return .failure(SidecarError(.scrape, "\(url) answered \(response.status)")) }
                return .success(response.text)
            } catch {
                return .failure(SidecarError(.scrape, "cannot scrape \(url)", cause: error as? ClientError))
            }
        }
        return try MetricsText(result.get())
    }
}
