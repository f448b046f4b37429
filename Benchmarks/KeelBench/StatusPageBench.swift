import Foundation
import KeelCore
import KeelSidecar

/// Rendering the sidecar's status page with a full sampler window (an hour of 5 s readings, and
/// the most the sampler keeps: 100,000), against parsing one scrape of the node's metrics (what
/// the sidecar does every interval anyway), in the same run.
enum StatusPageBench {
    static let scrape = """
        keel_build_info{version="0.1.0",commit="abc"} 1
        keel_chain_height HEIGHT
        keel_chain_tip_timestamp_seconds TIME
        keel_p2p_best_peer_height HEIGHT
        keel_peers{direction="inbound"} 3
        keel_peers{direction="outbound"} 8
        keel_mining_active 1
        keel_mining_threads 2
        keel_mining_hashes_total HASHES
        keel_mining_stop_seconds_sum 0.5
        keel_mining_stop_seconds_count 10
        process_resident_memory_bytes 209715200
        process_open_fds 40
        keel_process_rss_growth_ratio 0.02
        keel_process_rss_unaccounted_bytes 52428800
        keel_rocksdb_block_cache_bytes 67108864
        keel_rocksdb_memtable_bytes{column_family="utxo"} 33554432
        keel_rocksdb_table_readers_bytes 2097152
        keel_chain_header_window_bytes 20971520
        keel_mempool_bytes 6291456
        keel_p2p_send_queue_bytes 2097152
        keel_process_heap_bytes{state="overhead"} 8388608
        keel_mining_stop_seconds_bucket{le="0.05"} 8
        keel_mining_stop_seconds_bucket{le="0.1"} 10
        keel_mining_stop_seconds_bucket{le="+Inf"} 10
        """

    static func run() throws {
        let now = Date().timeIntervalSince1970
        let base = Sampler.Reading(
            try MetricsText(
                scrape.replacingOccurrences(of: "HEIGHT", with: "1").replacingOccurrences(of: "TIME", with: "0")
                    .replacingOccurrences(of: "HASHES", with: "0")), time: 0)
        print("## Status page render (sidecar, GET /), full sampler window")
        for count in [721, 100_000] {
            let readings = (0..<count).map { i -> Sampler.Reading in
                var r = base
                r.time = now - Double(count - i) * 5
                r.height = Double(i / 12)
                r.tipTime = r.time - 3
                r.hashes = Double(i) * 5_000
                r.rss = Double(200 << 20) + Double((i * 7_919) % 4_000_000)
                r.memory?.unaccounted = Double(50 << 20) + Double((i * 7_919) % 4_000_000)
                return r
            }
            // The memory spans the sampler folds as each reading arrives.
            var spans = MemorySpan.Blocks()
            for reading in readings { spans.append(reading) }
            let model = StatusPage.Model(
                now: now, phase: .running, pid: 1234, healthy: true, uptime: Double(count) * 5, restarts: 1,
                readings: readings, memorySpans: spans.complete,
                alerts: [
                    AlertEngine.Overview(
                        name: "PeersLow", severity: "warning", state: "firing", since: now - 60, summary: "The node has too few peers",
                        description: "1 peer(s) connected (minimum 2).", runbookURL: "runbook/alerts/PeersLow.md")
                ], receivers: ["ops"], outboxDepth: 0,
                deliveries: (0..<20).map {
                    DeliveryLog.Entry(time: now - Double($0), receiver: "ops", alertname: "PeersLow", status: "firing", outcome: "delivered")
                },
                soaks: (0..<20).map {
                    SoakReportIndex.Report(name: "memory-\($0)", written: now - Double($0) * 86_400, passed: $0 % 3 != 0, failure: nil, hasChart: true)
                })
            var bytes = 0
            var times = [Double]()
            for _ in 0..<(count > 1_000 ? 30 : 200) {
                times.append(Measure.seconds { bytes = StatusPage.render(model).utf8.count })
            }
            print(
                "\(count) readings: median \(Measure.format(Measure.median(times) * 1000, 2)) ms, p90 \(Measure.format(Measure.percentile(times, 0.9) * 1000, 2)) ms, \(bytes / 1024) KiB (target < 5 ms)"
            )
        }
        let text = scrape.replacingOccurrences(of: "HEIGHT", with: "1000").replacingOccurrences(of: "TIME", with: "0").replacingOccurrences(
            of: "HASHES", with: "5")
        var parses = [Double]()
        for _ in 0..<200 { parses.append(try Measure.seconds { _ = try MetricsText(text) }) }
        print("reference: parsing one scrape of the node's metrics: median \(Measure.format(Measure.median(parses) * 1000, 3)) ms")
        print("")
    }
}
