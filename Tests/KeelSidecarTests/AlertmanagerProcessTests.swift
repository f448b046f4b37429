import Foundation
import KeelClient
import KeelTesting
import Testing

/// The sidecar as an Alertmanager client beside Prometheus, against Debian's real Alertmanager:
/// one alert model and one `instance` label make the two pipelines' NodeDown one alert.
@Suite("the sidecar and Prometheus through a real Alertmanager", .serialized, .keepsArtifacts)
struct AlertmanagerProcessTests {
    struct Alertmanager {
        let url: String
        let process: ChildProcess
        let directory: TemporaryDirectory

        /// The alerts Alertmanager holds now, as its v2 API lists them.
        func alerts() -> [[String: Any]] {
            guard let response = try? HTTPClient(connectTimeout: 2, timeout: 5).request("GET", url + "/api/v2/alerts") else { return [] }
            return (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]]) ?? []
        }
    }

    /// Starts `prometheus-alertmanager` on a free loopback port, clustering off, grouping by
    /// alert name and instance, notifying `receiver`.
    static func startAlertmanager(receiver: String) async throws -> Alertmanager {
        let directory = TemporaryDirectory("alertmanager")
        let config = """
            route:
              receiver: hook
              group_by: [alertname, instance]
              group_wait: 3s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: hook
                webhook_configs:
                  - url: \(receiver)
                    send_resolved: false
            """
        try config.write(toFile: directory.path + "/alertmanager.yml", atomically: true, encoding: .utf8)
        var last = ""
        for _ in 0..<5 {
            let port = try OperationsAssetsTests.freePort()
            let process = try ChildProcess(
                "/usr/bin/prometheus-alertmanager",
                [
                    "--config.file=\(directory.path)/alertmanager.yml", "--storage.path=\(directory.path)/data",
                    "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=", "--log.level=warn",
                ])
            let url = "http://127.0.0.1:\(port)"
            let ready = await Poll.holds(within: 30, interval: 0.2) {
                !process.isRunning || (try? HTTPClient(connectTimeout: 1, timeout: 2).request("GET", url + "/api/v2/status"))?.status == 200
            }
            if ready, process.isRunning { return Alertmanager(url: url, process: process, directory: directory) }
            last = process.output.suffix(5).joined(separator: " | ")
            process.send(SIGKILL)
            _ = await process.waitForExit(timeout: 10)
        }
        throw PollTimeout(what: "Alertmanager to be ready: \(last)")
    }

    @Test("NodeDown raised by both the sidecar and Prometheus for one node reaches the receiver once, as one alert")
    func oneNotification() async throws {
        try await TestReceiver.running { receiver in
            let alertmanager = try await AlertmanagerProcessTests.startAlertmanager(receiver: receiver.url)
            defer { alertmanager.process.send(SIGKILL) }
            let dir = TemporaryDirectory("sidecar-am")
            // One start only: the killed node stays down, so both pipelines keep NodeDown firing.
            let sidecar = try await SidecarProcess.start(
                """
                \(SidecarProcess.devNode(in: dir))
                health: {interval: 200ms, grace: 30s}
                sampler: {interval: 500ms}
                restart: {burst: 1, burst_window: 1h}
                alerts:
                  labels: {instance: \(OperationsAssetsTests.instance)}
                  resend_interval: 2s
                  rules:
                    NodeDown: {for: 1s}
                    PeersLow: {enabled: false}
                receivers:
                  - name: am
                    format: alertmanager-api
                    url: \(alertmanager.url)
                """, directory: dir)
            defer { sidecar.process.send(SIGKILL) }
            try await Poll.until("sidecar.health()?[\"node_healthy\"] as? Bool == true", timeout: 60) { sidecar.health()?["node_healthy"] as? Bool == true }
            let nodeURL = try String(contentsOfFile: dir.path + "/node/api.url", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let prometheus = try await OperationsAssetsTests.startPrometheus(
                node: String(nodeURL.dropFirst("http://".count)), sidecar: String(sidecar.url.dropFirst("http://".count)),
                alertmanager: String(alertmanager.url.dropFirst("http://".count)), directory: TemporaryDirectory("prometheus-am"))
            defer { prometheus.process.send(SIGKILL) }
            try await Poll.until("both targets up (\(prometheus.diagnosis))", timeout: 60, interval: 0.25) { prometheus.query("up == 1").series.count == 2 }

            let pid = try #require(sidecar.nodePid())
            kill(pid, SIGKILL)
            // Both pipelines fire it: Prometheus's rule, and the sidecar's (delivered to Alertmanager).
            let bothFiring = await Poll.holds(within: 60, interval: 0.25) {
                prometheus.alertState("NodeDown") == "firing"
                    && (sidecar.metric("keel_sidecar_webhook_deliveries_total{result=\"delivered\"}") ?? 0) >= 1
                    && sidecar.metric("keel_sidecar_alerts_firing{alertname=\"NodeDown\"}") == 1
            }
            #expect(
                bothFiring,
                "Prometheus: \(prometheus.alertState("NodeDown") ?? "absent"); sidecar: \(sidecar.metricsText()?.split(separator: "\n").filter { $0.contains("alerts_firing") || $0.contains("deliveries") } ?? [])"
            )
            let notified = await Poll.holds(within: 30) { receiver.accepted.contains { $0.alertname == "NodeDown" } }
            #expect(notified, "the receiver got: \(receiver.all.compactMap(\.alertname))")
            // Several group intervals and sidecar re-sends later there is still only that one.
            #expect(!(await Poll.holds(within: 6) { receiver.accepted.filter { $0.alertname == "NodeDown" }.count > 1 }))
            let notifications = receiver.accepted.filter { $0.alertname == "NodeDown" }
            #expect(notifications.count == 1)
            let alerts = notifications.first?.json?["alerts"] as? [[String: Any]] ?? []
            #expect(alerts.count == 1, "one alert in the notification, not one per sender: \(alerts)")
            #expect(
                (alerts.first?["labels"] as? [String: String]) == ["alertname": "NodeDown", "severity": "critical", "instance": OperationsAssetsTests.instance])
            // Alertmanager holds one NodeDown, merged from both senders.
            let held = alertmanager.alerts().filter { ($0["labels"] as? [String: String])?["alertname"] == "NodeDown" }
            #expect(held.count == 1, "\(held)")
            // And Prometheus did send to it without errors (the sidecar's deliveries are counted above).
            let prometheusMetrics = (try? HTTPClient().request("GET", prometheus.url + "/metrics").text) ?? ""
            let sent = prometheusMetrics.split(separator: "\n").first { $0.hasPrefix("prometheus_notifications_sent_total") }
            #expect(sent.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0 > 0, "\(sent ?? "no prometheus_notifications_sent_total")")
        }
    }
}
