import KeelMetrics
import KeelNode
import KeelTesting
import Testing

@Suite("Node metrics")
struct NodeMetricsTests {
    static let contract = [
        "keel_chain_height", "keel_blocks_connected_total", "keel_reorgs_total", "keel_reorg_depth",
        "keel_block_connect_seconds", "keel_signature_verification_seconds", "keel_signatures_verified_total",
        "keel_template_cache_hits_total", "keel_template_cache_misses_total", "keel_template_build_seconds",
        "keel_block_propagation_seconds", "process_resident_memory_bytes", "keel_process_rss_growth_ratio",
        "keel_mining_active", "keel_mining_hashes_total", "keel_mining_stop_seconds", "keel_build_info",
        "keel_mempool_transactions", "keel_mempool_bytes", "keel_api_requests_total", "keel_api_request_seconds",
        "keel_rocksdb_sst_bytes", "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
        "process_cpu_seconds_total", "process_start_time_seconds", "process_threads",
    ]

    func make() -> NodeMetrics {
        NodeMetrics(
            routes: ["GET /v1/status", "POST /v1/transactions"], columnFamilies: ["utxo", "blocks"],
            version: "0.1.0", commit: "abc123", rssWarmup: 600)
    }

    @Test("every contract metric is exposed with help text and a type before anything happens")
    func contract() {
        let exposition = Exposition(make().render())
        for name in Self.contract {
            #expect(exposition.help[name]?.isEmpty == false, "no HELP for \(name)")
            #expect(exposition.types[name] != nil, "no TYPE for \(name)")
        }
        #expect(exposition.types["keel_block_connect_seconds"] == "histogram")
        #expect(exposition.types["keel_blocks_connected_total"] == "counter")
    }

    @Test("labelled series exist at zero from start-up")
    func labelledZeros() {
        let e = Exposition(make().render())
        for origin in NodeMetrics.origins { #expect(e.samples["keel_blocks_connected_total{origin=\"\(origin)\"}"] == 0) }
        for mode in NodeMetrics.modes {
            #expect(e.samples["keel_signatures_verified_total{mode=\"\(mode)\"}"] == 0)
            #expect(e.samples["keel_signature_verification_seconds_count{mode=\"\(mode)\"}"] == 0)
        }
        #expect(e.samples["keel_api_requests_total{route=\"GET /v1/status\",status_class=\"4xx\"}"] == 0)
        #expect(e.samples["keel_rocksdb_sst_bytes{column_family=\"utxo\"}"] == 0)
        #expect(e.samples["keel_build_info{version=\"0.1.0\",commit=\"abc123\"}"] == 1)
    }

    @Test("events move their series; requests are counted by route and status class")
    func events() {
        let m = make()
        m.blocksConnected["peer"]?.increment()
        m.recordRequest(route: "GET /v1/status", status: 200, seconds: 0.002)
        m.recordRequest(route: "GET /v1/status", status: 404, seconds: 0.001)
        m.recordRequest(route: "GET /v1/status", status: 503, seconds: 0.001)
        m.miningHashes.update(total: 10)
        m.miningHashes.update(total: 25)
        m.miningHashes.update(total: 20)  // a restarted miner's lower total never moves it back
        let e = Exposition(m.render())
        #expect(e.samples["keel_blocks_connected_total{origin=\"peer\"}"] == 1)
        #expect(e.samples["keel_api_requests_total{route=\"GET /v1/status\",status_class=\"2xx\"}"] == 1)
        #expect(e.samples["keel_api_requests_total{route=\"GET /v1/status\",status_class=\"4xx\"}"] == 1)
        #expect(e.samples["keel_api_requests_total{route=\"GET /v1/status\",status_class=\"5xx\"}"] == 1)
        #expect(e.samples["keel_api_request_seconds_count{route=\"GET /v1/status\"}"] == 3)
        #expect(e.samples["keel_mining_hashes_total"] == 25)
    }

    @Test("the growth ratio is judged on RSS minus the bounded parts: caches filling to their bound are not growth")
    func unaccountedGrowth() {
        let metrics = NodeMetrics(routes: [], columnFamilies: ["headers"], version: "t", commit: "t", rssWarmup: 0)
        var account = MemoryAccount()
        account.blockCache = 1_000
        account.memtables = 2_000
        // The block cache counts an eighth above its charge (jemalloc's size classes).
        metrics.observe(account, residentBytes: 10_000)  // baseline: 10,000 - 1,125 - 2,000 = 6,875 unaccounted
        account.blockCache = 3_000
        account.memtables = 4_000
        account.headerWindow = 500
        account.mempool = 200
        account.peerBuffers = 300
        metrics.observe(account, residentBytes: 15_250)  // the parts grew by 5,250, RSS by as much
        let e = Exposition(metrics.render { account })
        #expect(e.samples["keel_process_rss_unaccounted_bytes"].map { $0 > 0 } == true)
        #expect(account.total == 8_375 && account.unaccounted(resident: 15_250) == 6_875)
        metrics.observe(account, residentBytes: 15_250)
        #expect(metrics.rssGrowth.ratio(unaccountedBytes: account.unaccounted(resident: 15_250)) == 0)
        #expect(metrics.rssGrowth.ratio(unaccountedBytes: 7_600) > 0.09)
        #expect(MemoryAccount().unaccounted(resident: 5) == 5)
        var huge = MemoryAccount()
        huge.blockCache = 10
        #expect(huge.unaccounted(resident: 5) == 0)
        #expect(e.samples["keel_chain_header_window_bytes"] == 500)
        #expect(e.samples["keel_p2p_send_queue_bytes"] == 300)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
