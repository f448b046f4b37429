import Foundation
import KeelClient
import KeelSidecar
import KeelTesting
import Testing

/// The repository's `prometheus/`, `grafana/` and `runbook/` against a live dev node and its
/// sidecar, scraped by Debian's real Prometheus on loopback.
@Suite("operations assets against a real Prometheus", .serialized, .keepsArtifacts)
struct OperationsAssetsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// ARCHITECTURE.md's metric contract: every name must exist in Prometheus after a few scrapes.
    static let contract = [
        "keel_chain_height", "keel_blocks_connected_total", "keel_reorgs_total", "keel_reorg_depth_bucket", "keel_block_connect_seconds_bucket",
        "keel_signature_verification_seconds_bucket", "keel_signatures_verified_total", "keel_template_cache_hits_total",
        "keel_template_cache_misses_total", "keel_template_build_seconds_bucket", "keel_block_propagation_seconds_bucket",
        "process_resident_memory_bytes", "process_open_fds", "process_cpu_seconds_total", "process_start_time_seconds",
        "keel_process_rss_growth_ratio", "keel_mining_active", "keel_mining_hashes_total", "keel_mining_stop_seconds_bucket",
        "keel_mempool_transactions", "keel_mempool_bytes", "keel_peers", "keel_p2p_messages_total", "keel_p2p_bytes_total",
        "keel_api_requests_total", "keel_api_request_seconds_bucket", "keel_rocksdb_sst_bytes", "keel_rocksdb_memtable_bytes", "keel_build_info",
        "keel_sidecar_node_up", "keel_sidecar_node_restarts_total", "keel_sidecar_scrapes_total", "keel_sidecar_alerts_firing",
        "keel_sidecar_webhook_deliveries_total", "keel_sidecar_outbox_depth", "keel_sidecar_soak_progress_ratio",
        "keel_chain_tip_timestamp_seconds", "keel_p2p_best_peer_height", "process_max_fds", "keel_rocksdb_write_stopped",
        "keel_rocksdb_delayed_write_rate_bytes", "keel_rocksdb_pending_compaction_bytes", "keel_storage_free_bytes",
        "keel_p2p_peer_clock_offset_seconds", "keel_storage_write_seconds_bucket",
    ]
    /// The `instance` label prometheus/prometheus.yml gives both targets.
    static let instance = "keel-1"
    /// Series one node may export (764 at the time of writing: histograms by route dominate).
    static let seriesBudget = 1_200
    /// Distinct values any one label may take on one node.
    static let labelValueBudget = 60

    /// A free loopback port (bound and released; Prometheus binds it right after).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw PollTimeout(what: "a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct Prometheus {
        let url: String
        let process: ChildProcess
        /// Holds its configuration and TSDB: released, the directory is deleted under it.
        let directory: TemporaryDirectory

        /// Whether it runs, and its last lines, for failure messages.
        var diagnosis: String {
            "prometheus \(process.isRunning ? "running" : "exited"): \(process.output.suffix(5).joined(separator: " | "))"
        }

        func get(_ path: String, _ query: [String: String] = [:]) throws -> [String: Any] {
            let encoded = query.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            let response = try HTTPClient(connectTimeout: 2, timeout: 10).request("GET", url + path + (encoded.isEmpty ? "" : "?" + encoded))
            return (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:]
        }

        /// `(ok, series)` for an instant query.
        func query(_ expr: String) -> (ok: Bool, series: [[String: Any]], error: String?) {
            guard let body = try? get("/api/v1/query", ["query": expr]) else { return (false, [], "no answer") }
            let result = ((body["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
            return (body["status"] as? String == "success", result, body["error"] as? String)
        }

        func alertState(_ name: String) -> String? {
            let alerts = (((try? get("/api/v1/alerts"))?["data"] as? [String: Any])?["alerts"] as? [[String: Any]]) ?? []
            return alerts.first { ($0["labels"] as? [String: String])?["alertname"] == name }?["state"] as? String
        }
    }

    /// Writes a Prometheus config from the repository's, pointed at `node` and `sidecar`, scraping
    /// every second, with the rules copied and every `for:` shortened to 1 s; starts Prometheus.
    /// The mixin's alerts with `change` (a jsonnet expression over `name` and `a`, the alert's
    /// model entry, giving the entry to use) applied to every alert: the mixin's config is how a
    /// test shortens `for:` or lowers a threshold, as an operator would.
    static func renderedAlerts(changing change: String) async throws -> String {
        let expr = """
            local mixin = (import 'mixin.libsonnet') + { _config+:: { alerts: std.mapWithKey(function(name, a) \(change), super.alerts) } };
            std.manifestYamlDoc(mixin.prometheusAlerts, indent_array_in_object=true)
            """
        let result = try await Poll.run("/usr/bin/jsonnet", ["-J", root + "/monitoring", "-S", "-e", expr], timeout: 300)
        guard result.status == 0 else { throw PollTimeout(what: "jsonnet: \(result.output)") }
        return result.output
    }

    /// `rules` (file name to content) replaces the repository's rule files as they are.
    static func startPrometheus(
        node: String, sidecar: String, alertmanager: String = "127.0.0.1:9093", rules given: [String: String]? = nil,
        directory: TemporaryDirectory
    ) async throws -> Prometheus {
        var config = try String(contentsOfFile: root + "/prometheus/prometheus.yml", encoding: .utf8)
        config = config.replacingOccurrences(of: "scrape_interval: 15s", with: "scrape_interval: 1s")
            .replacingOccurrences(of: "evaluation_interval: 15s", with: "evaluation_interval: 1s")
            .replacingOccurrences(of: "\"127.0.0.1:9334\"", with: "\"\(node)\"")
            .replacingOccurrences(of: "\"127.0.0.1:9335\"", with: "\"\(sidecar)\"")
            .replacingOccurrences(of: "\"127.0.0.1:9093\"", with: "\"\(alertmanager)\"")
        try FileManager.default.createDirectory(atPath: directory.path + "/rules", withIntermediateDirectories: true)
        for file in ["alerts.yml", "recording.yml"] {
            let rules =
                try given?[file]
                ?? String(contentsOfFile: root + "/prometheus/rules/" + file, encoding: .utf8)
                .replacingOccurrences(of: #"for: "?\d+[smh]"?"#, with: "for: 1s", options: .regularExpression)
            try rules.write(toFile: directory.path + "/rules/" + file, atomically: true, encoding: .utf8)
        }
        try config.write(toFile: directory.path + "/prometheus.yml", atomically: true, encoding: .utf8)
        // The port is free when picked, but another test may bind it before Prometheus does; then
        // Prometheus exits and whatever took the port may even answer /-/ready. So readiness
        // counts only while our process runs and the answer is Prometheus's own; else retry.
        var last = ""
        for _ in 0..<5 {
            let port = try freePort()
            let process = try ChildProcess(
                "/usr/bin/prometheus",
                [
                    "--config.file=\(directory.path)/prometheus.yml", "--storage.tsdb.path=\(directory.path)/data",
                    "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
                ])
            let prometheus = Prometheus(url: "http://127.0.0.1:\(port)", process: process, directory: directory)
            let settled = await Poll.holds(within: 60, interval: 0.2) {
                !process.isRunning || (try? HTTPClient(connectTimeout: 1, timeout: 2).request("GET", prometheus.url + "/-/ready"))?.status == 200
            }
            let build = (try? prometheus.get("/api/v1/status/buildinfo"))?["data"] as? [String: Any]
            if settled, process.isRunning, build?["version"] != nil { return prometheus }
            last = prometheus.diagnosis
            process.send(SIGKILL)
            _ = await process.waitForExit(timeout: 10)
        }
        throw PollTimeout(what: "Prometheus to be ready: \(last)")
    }

    @Test("the contract, dashboards, rules, promtool, runbook and series budget hold against a live node; stopping it fires NodeDown and SidecarAbsent")
    func metricsContract() async throws {
        let root = Self.root
        let dir = TemporaryDirectory("ops")
        let sidecar = try await SidecarProcess.start(
            """
            \(SidecarProcess.devNode(in: dir))
            health: {interval: 500ms}
            sampler: {interval: 1s}
            """, directory: dir)
        try await Poll.until("sidecar.health()?[\"node_healthy\"] as? Bool == true", timeout: 60) { sidecar.health()?["node_healthy"] as? Bool == true }
        let nodeURL = try String(contentsOfFile: dir.path + "/node/api.url", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let nodeTarget = String(nodeURL.dropFirst("http://".count)), sidecarTarget = String(sidecar.url.dropFirst("http://".count))
        let prometheus = try await Self.startPrometheus(node: nodeTarget, sidecar: sidecarTarget, directory: TemporaryDirectory("prometheus"))
        defer { prometheus.process.send(SIGKILL) }

        // promtool and amtool on the repository's files, and on both live /metrics.
        let promtool = "/usr/bin/promtool"
        for arguments in [
            ["check", "config", root + "/prometheus/prometheus.yml"],
            ["check", "rules", root + "/prometheus/rules/alerts.yml", root + "/prometheus/rules/recording.yml"],
            ["test", "rules", root + "/prometheus/tests/alerts_test.yml"],
        ] {
            // `test rules` runs 53 cases; inside the parallel suites on two cores it took over a minute.
            let result = try await Poll.run(promtool, arguments, timeout: 240)
            #expect(result.status == 0, "promtool \(arguments.joined(separator: " ")): \(result.output)")
        }
        let amtool = try await Poll.run("/usr/bin/amtool", ["check-config", root + "/prometheus/alertmanager.yml"])
        #expect(amtool.status == 0, "amtool: \(amtool.output)")
        for url in [nodeURL, sidecar.url] {
            let text = try HTTPClient().request("GET", url + "/metrics").text
            let file = dir.path + "/metrics-\(abs(url.hashValue)).txt"
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let check = try await Poll.run("/bin/sh", ["-c", "\(promtool) check metrics < \(file)"])
            #expect(check.status == 0, "promtool check metrics on \(url): \(check.output)")
        }

        // Both targets up, then every contract name present.
        let up = await Poll.holds(within: 60, interval: 0.25) { prometheus.query("up{instance=\"\(OperationsAssetsTests.instance)\"} == 1").series.count == 2 }
        #expect(up, "targets: \((try? prometheus.get("/api/v1/targets")) ?? [:]); \(prometheus.diagnosis)")
        let missing = await Poll.holds(within: 30, interval: 0.5) {
            OperationsAssetsTests.contract.allSatisfy { !prometheus.query("count(\($0))").series.isEmpty }
        }
        #expect(missing, "missing: \(OperationsAssetsTests.contract.filter { prometheus.query("count(\($0))").series.isEmpty })")

        // Every dashboard panel's query, with its variables filled in, returns a series.
        var queries = [(board: String, title: String, expr: String)]()
        for file in ["keel-node.json", "keel-sidecar.json"] {
            let instance = OperationsAssetsTests.instance
            let data = try #require(FileManager.default.contents(atPath: root + "/grafana/dashboards/" + file))
            let board = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
            let templating = (board["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            #expect(
                templating.contains { $0["name"] as? String == "datasource" && $0["type"] as? String == "datasource" }, "\(file): the datasource is a variable")
            for panel in board["panels"] as? [[String: Any]] ?? [] {
                if panel["type"] as? String == "row" { continue }
                let datasource = (panel["datasource"] as? [String: Any])?["uid"] as? String
                #expect(datasource == "${datasource}", "\(file) \(panel["title"] ?? ""): uses the datasource variable")
                for target in panel["targets"] as? [[String: Any]] ?? [] {
                    let expr = (target["expr"] as? String ?? "").replacingOccurrences(of: "$instance", with: instance)
                    queries.append((file, panel["title"] as? String ?? "", expr))
                }
            }
        }
        #expect(queries.count >= 40)
        let panelsAnswer = await Poll.holds(within: 60, interval: 1) { queries.allSatisfy { !prometheus.query($0.expr).series.isEmpty } }
        #expect(
            panelsAnswer, "panels without data: \(queries.filter { prometheus.query($0.expr).series.isEmpty }.map { "\($0.board) \($0.title): \($0.expr)" })")

        // Every rule evaluates without error, in Prometheus's own evaluation and as a query.
        let rulesBody = try prometheus.get("/api/v1/rules")
        let rulesData = (rulesBody["data"] as? [String: Any])?["groups"] as? [[String: Any]] ?? []
        let rules = rulesData.flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        #expect(rules.count >= 20)
        let healthy = await Poll.holds(within: 20, interval: 0.5) {
            let groups = ((try? prometheus.get("/api/v1/rules"))?["data"] as? [String: Any])?["groups"] as? [[String: Any]] ?? []
            return groups.flatMap { $0["rules"] as? [[String: Any]] ?? [] }.allSatisfy { $0["health"] as? String == "ok" }
        }
        #expect(healthy, "rules not ok: \(rules.filter { $0["health"] as? String != "ok" }.map { "\($0["name"] ?? ""): \($0["lastError"] ?? "")" })")
        for rule in rules {
            let expr: String = rule["query"] as? String ?? ""
            let name: String = rule["name"] as? String ?? ""
            let result = prometheus.query(expr)
            #expect(result.ok, "\(name): \(result.error ?? "")")
        }

        // Every alert (Prometheus's and the sidecar's) has a runbook page, every page an alert,
        // and every runbook_url names an existing page.
        let prometheusAlerts = rules.filter { $0["type"] as? String == "alerting" }
        let alertNames = Set(prometheusAlerts.compactMap { $0["name"] as? String } + AlertRule.Kind.allCases.map(\.rawValue))
        let pages = Set(
            try FileManager.default.contentsOfDirectory(atPath: root + "/runbook/alerts").filter { $0.hasSuffix(".md") }.map { String($0.dropLast(3)) })
        #expect(alertNames == pages, "alerts without a page: \(alertNames.subtracting(pages)); pages without an alert: \(pages.subtracting(alertNames))")
        for alert in prometheusAlerts {
            let annotations = alert["annotations"] as? [String: String] ?? [:]
            #expect(["summary", "description", "runbook_url"].allSatisfy { annotations[$0] != nil }, "\(alert["name"] ?? "") annotations")
            #expect(["critical", "warning", "info"].contains((alert["labels"] as? [String: String])?["severity"] ?? ""))
            let page: String = annotations["runbook_url"] ?? "-"
            #expect(FileManager.default.fileExists(atPath: root + "/" + page), "\(page)")
        }

        // The series budget, and no label with unbounded values.
        let series = prometheus.query("{job=\"keel-node\"}").series
        #expect(series.count > 100 && series.count <= OperationsAssetsTests.seriesBudget, "\(series.count) series")
        var values = [String: Set<String>]()
        for one in series {
            for (label, value) in one["metric"] as? [String: String] ?? [:] where label != "__name__" { values[label, default: []].insert(value) }
        }
        for (label, distinct) in values {
            #expect(distinct.count <= OperationsAssetsTests.labelValueBudget, "label \(label) has \(distinct.count) values")
        }
        #expect(Set(values.keys).isDisjoint(with: ["peer", "peer_id", "address", "ip", "host", "txid", "hash", "url"]), "\(values.keys.sorted())")

        // Faults: stop the sidecar (which stops the node): NodeDown and SidecarAbsent fire.
        sidecar.process.send(SIGTERM)
        #expect(await sidecar.process.waitForExit(timeout: 20) == 0)
        let fired = await Poll.holds(within: 30, interval: 0.25) {
            prometheus.alertState("NodeDown") == "firing" && prometheus.alertState("SidecarAbsent") == "firing"
        }
        #expect(fired, "NodeDown \(prometheus.alertState("NodeDown") ?? "absent"), SidecarAbsent \(prometheus.alertState("SidecarAbsent") ?? "absent")")
    }
}
