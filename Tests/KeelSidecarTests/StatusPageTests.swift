import Foundation
import KeelTesting
import Testing

@testable import KeelSidecar

/// The status page's renderer on models built by hand: what each state says, the figures it
/// derives from the sampler's window, escaping, and the soak report index.
@Suite("status page: rendering")
struct StatusPageTests {
    /// A scrape of a node at `height`, mining with `hashes` tried and `stops` stops taking
    /// `stopSum` seconds in all.
    static func reading(time: Double, height: Double, hashes: Double, stops: Double = 0, stopSum: Double = 0, rss: Double = Double(200 << 20)) throws
        -> Sampler.Reading
    {
        let text = """
            keel_build_info{version="0.1.0",commit="abc"} 1
            keel_chain_height \(height)
            keel_chain_tip_timestamp_seconds \(time - 4)
            keel_p2p_best_peer_height \(height + 2)
            keel_peers{direction="inbound"} 3
            keel_peers{direction="outbound"} 8
            keel_mining_active 1
            keel_mining_threads 2
            keel_mining_hashes_total \(hashes)
            keel_mining_stop_seconds_sum \(stopSum)
            keel_mining_stop_seconds_count \(stops)
            process_resident_memory_bytes \(rss)
            keel_process_rss_growth_ratio 0.02
            keel_process_rss_unaccounted_bytes \(rss - Double(150 << 20))
            keel_rocksdb_block_cache_bytes \(64 << 20)
            keel_rocksdb_memtable_bytes{column_family="utxo"} \(32 << 20)
            keel_rocksdb_memtable_bytes{column_family="blocks"} \(16 << 20)
            keel_rocksdb_table_readers_bytes \(2 << 20)
            keel_chain_header_window_bytes \(20 << 20)
            keel_mempool_bytes \(6 << 20)
            keel_p2p_send_queue_bytes \(2 << 20)
            keel_process_heap_bytes{state="in_use"} \(90 << 20)
            keel_process_heap_bytes{state="overhead"} \(8 << 20)
            """
        return Sampler.Reading(try MetricsText(text), time: time)
    }

    /// Ten minutes of readings every 5 s ending at `now`: 2 blocks a minute, 1,000 hashes a second.
    static func window(now: Double) throws -> [Sampler.Reading] {
        try (0...120).map { i in
            let t = now - 600 + Double(i) * 5
            return try reading(time: t, height: 100 + Double(i) / 6, hashes: Double(i) * 5_000, stops: i >= 100 ? 2 : 1, stopSum: i >= 100 ? 0.05 : 0.02)
        }
    }

    @Test("a node up and mining: every section, its figures, alerts with runbook links, deliveries, soaks")
    func running() throws {
        let now = 1_800_000_000.0
        let model = StatusPage.Model(
            now: now, phase: .running, pid: 4242, healthy: true, uptime: 3_725, restarts: 1,
            exits: [Supervisor.Exit(time: now - 4_000, reason: "crash", detail: "killed by SIGKILL (signal 9)")],
            readings: try StatusPageTests.window(now: now),
            alerts: [
                AlertEngine.Overview(
                    name: "PeersLow", severity: "warning", state: "firing", since: now - 120, summary: "The node has too few peers",
                    description: "1 peer(s) connected (minimum 2).", runbookURL: "runbook/alerts/PeersLow.md"),
                AlertEngine.Overview(
                    name: "MemoryGrowthHigh", severity: "warning", state: "pending", since: now - 30, summary: "memory",
                    description: "", runbookURL: "https://wiki.example/MemoryGrowthHigh"),
            ],
            receivers: ["ops"], outboxDepth: 2,
            deliveries: [DeliveryLog.Entry(time: now - 60, receiver: "ops", alertname: "PeersLow", status: "firing", outcome: "retried", detail: "HTTP 503")],
            soaks: [SoakReportIndex.Report(name: "mining-1", written: now - 86_400, passed: true, failure: nil, hasChart: true)])
        let html = StatusPage.render(model)
        for id in ["node", "chain", "peers", "mining", "memory", "alerts", "webhooks", "soaks"] {
            #expect(html.contains("<section id=\"\(id)\""), "section \(id)")
        }
        #expect(!html.contains("id=\"condition\""), "no banner while the node is up")
        #expect(html.contains("data-state=\"UP\""))
        #expect(html.contains("1 h 2 min"))  // uptime
        #expect(html.contains("data-height=\"120\""))
        #expect(html.contains("<dt>Blocks per minute</dt><dd>2.0 "))
        #expect(html.contains("1.0 kH/s"))
        #expect(html.contains("<dt>Last stop took</dt><dd>30.0 ms</dd>"))
        #expect(html.contains("<dt>Inbound</dt><dd>3</dd>") && html.contains("<dt>Outbound</dt><dd>8</dd>"))
        #expect(html.contains("<dt>Version</dt><dd>0.1.0</dd>"))
        #expect(html.contains("<th scope=\"row\">RocksDB caches and memtables</th><td data-label=\"Now\">114.0 MiB</td>"))
        #expect(html.contains("<svg") && html.contains("<title>Memory (MiB)</title>"))
        #expect(html.contains("data-alert=\"PeersLow\" data-alert-state=\"firing\""))
        #expect(html.contains("<a href=\"/runbook/PeersLow\">") && html.contains("<a href=\"https://wiki.example/MemoryGrowthHigh\">"))
        #expect(html.contains("RETRIED</span> HTTP 503") && html.contains("data-outbox=\"2\""))
        #expect(html.contains("PASSED") && html.contains("/soaks/mining-1/chart.svg"))
        #expect(html.contains("<meta http-equiv=\"refresh\" content=\"5\">"))
        #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("src=\"http") && !html.contains("url("), "no external asset, no script")
    }

    @Test("down: the banner comes first with the exit, the restart time and the last lines, escaped")
    func down() {
        let now = 1_800_000_000.0
        let model = StatusPage.Model(
            now: now, phase: .backoff, restarts: 2,
            exits: [Supervisor.Exit(time: now - 3, reason: "crash", detail: "exited with code 3")], restartAt: now + 12,
            logLines: ["stderr: fatal: <store> & \"keys\" damaged"])
        let html = StatusPage.render(model)
        let banner = html.range(of: "id=\"condition\"")
        #expect(banner != nil && banner!.lowerBound < html.range(of: "<section id=\"node\"")!.lowerBound)
        #expect(html.contains(">DOWN<") && html.contains("exited with code 3") && html.contains("restarts it in 12 s"))
        #expect(html.contains("fatal: &lt;store&gt; &amp; &quot;keys&quot; damaged"))
        #expect(html.contains("<title>Keel: node down, restarting</title>"))
        #expect(html.contains("<dt>Height</dt><dd><span class=\"muted\">no reading</span>"))
    }

    @Test("crash-looping: says so, says what to do; no metrics for a minute while up: says the figures are stale")
    func crashLoopingAndStale() throws {
        let now = 1_800_000_000.0
        let looping = StatusPage.render(StatusPage.Model(now: now, phase: .suspended, restarts: 5, logLines: ["stderr: panic"]))
        #expect(looping.contains(">CRASH-LOOPING<") && looping.contains("What to do") && looping.contains("went down 5 times"))
        let stale = StatusPage.render(
            StatusPage.Model(now: now, phase: .running, healthy: true, readings: [try StatusPageTests.reading(time: now - 60, height: 5, hashes: 0)]))
        #expect(stale.contains(">STALE<") && stale.contains("No metrics from the node for 1 min 0 s"))
    }

    @Test("a full window of 100,000 readings draws at most 241 points a line")
    func longWindow() throws {
        let base = try StatusPageTests.reading(time: 0, height: 0, hashes: 0)
        let readings = (0..<100_000).map { i -> Sampler.Reading in
            var r = base
            r.time = Double(i)
            r.rss = Double(200 << 20) + Double(i % 1000)
            return r
        }
        let chart = StatusPage.memoryChart(readings, now: 100_000)
        #expect(chart.series.count == 6)
        #expect(chart.series.allSatisfy { $0.points.count <= 241 })
    }

    @Test("the soak index lists reports newest first with their verdicts, serves only what it lists")
    func soakIndex() throws {
        let dir = TemporaryDirectory("soak-index")
        func report(_ name: String, _ json: String, age: Double, chart: Bool = true) throws {
            let path = dir.appending(name)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try json.write(toFile: path + "/report.json", atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path + "/report.json")
            if chart { try "<svg/>".write(toFile: path + "/chart.svg", atomically: true, encoding: .utf8) }
        }
        try report("memory-a", #"{"passed": true}"#, age: 100)
        try report("mining-b", #"{"passed": false, "failure": "cycle 3 did not stop"}"#, age: 10, chart: false)
        try report("broken", "not json", age: 50)
        try FileManager.default.createDirectory(atPath: dir.appending("empty"), withIntermediateDirectories: true)
        let index = SoakReportIndex(directory: dir.path)
        let reports = index.reports()
        #expect(reports.map(\.name) == ["mining-b", "broken", "memory-a"])
        #expect(reports[0].passed == false && reports[0].failure == "cycle 3 did not stop" && !reports[0].hasChart)
        #expect(reports[1].passed == nil && reports[2].passed == true)
        #expect(index.file("chart.svg", of: "memory-a") == dir.appending("memory-a/chart.svg"))
        #expect(index.file("chart.svg", of: "empty") == nil)
        #expect(index.file("sidecar.yaml", of: "memory-a") == nil)
        #expect(index.file("report.json", of: "..") == nil)
        #expect(SoakReportIndex(directory: dir.appending("missing")).reports().isEmpty)
    }
}

/// The long-window path: drawn from the sampler's spans, it shows what reading every reading shows.
@Suite("status page: memory spans")
struct MemorySpanTests {
    @Test("20,000 readings with one spike: the spans give the same lowest, highest and spike as the readings, in at most 241 points")
    func spansMatchReadings() throws {
        let base = try StatusPageTests.reading(time: 0, height: 0, hashes: 0)
        var blocks = MemorySpan.Blocks()
        var readings = [Sampler.Reading]()
        for i in 0..<20_100 {
            var r = base
            r.time = Double(i)
            r.rss = Double(200 << 20) + Double(i % 977) * 1024 + (i == 12_345 ? Double(64 << 20) : 0)
            r.memory?.unaccounted = Double(40 << 20) - Double(i % 501) * 1024
            readings.append(r)
            blocks.append(r)
        }
        // The sampler's window keeps the last 20,000: the first span is partly outside it.
        readings.removeFirst(100)
        blocks.trim(before: readings[0].time)
        #expect(blocks.complete.first!.firstTime < readings[0].time)
        let raw = StatusPage.MemoryWindow(readings, now: 20_100)
        let spanned = StatusPage.MemoryWindow(readings, spans: blocks.complete, now: 20_100)
        #expect(readings.count > StatusPage.rawReadingsLimit)
        #expect(spanned.low == raw.low && spanned.high == raw.high)
        #expect(spanned.high[0] == Double(200 << 20) + Double(12_345 % 977) * 1024 + Double(64 << 20))
        #expect(spanned.points.allSatisfy { $0.count <= 241 })
        #expect(spanned.points[0].map(\.y).max() == spanned.high[0]! / Double(1 << 20), "the spike is drawn")
        #expect(spanned.points[0].first!.x >= (readings[0].time - 20_100) / 60 - 0.001, "nothing drawn from before the window")
    }
}
