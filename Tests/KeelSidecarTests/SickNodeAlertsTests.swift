import Foundation
import KeelClient
import KeelTesting
import Testing

/// Loud on a sick node: each alert raised by its real fault, in Prometheus (rules rendered from
/// the mixin with test thresholds and `for: 1s`) and, for the shared ones, in the sidecar too.
@Suite("alerts on a sick node: each fault fires its alert in both pipelines", .serialized, .keepsArtifacts)
struct SickNodeAlertsTests {
    @Test(
        "no peers, a stale tip and a leak fire PeersLow, OutboundPeersZero, ChainHeightStalled and MemoryGrowthHigh; killed for good, NodeDown and NodeCrashLooping"
    )
    func faultsFireTheirAlerts() async throws {
        try await TestReceiver.running { receiver in
            let dir = TemporaryDirectory("sick")
            let apiPort = try OperationsAssetsTests.freePort()
            // No peers and no mining (the tip stays genesis, years old), 20 MiB/s leaked after a 5 s
            // warm-up, and one start only: once killed it stays down.
            let sidecar = try await SidecarProcess.start(
                """
                node:
                  command: \(Binaries.path("keel-node"))
                  arguments: [--dev, --data-dir, \(dir.path)/node, --api-addr, "127.0.0.1:\(apiPort)", --p2p-addr, "127.0.0.1:0", --threads, "0",
                              --rss-warmup, "5", --test-leak-kib-per-second, "20480"]
                  data_dir: \(dir.path)/node
                health: {interval: 250ms, grace: 30s}
                sampler: {interval: 500ms}
                restart: {burst: 1, burst_window: 1h}
                alerts:
                  labels: {instance: \(OperationsAssetsTests.instance)}
                  rules:
                    NodeDown: {for: 1s}
                    NodeCrashLooping: {for: 1s}
                    MemoryGrowthHigh: {for: 1s}
                    ChainHeightStalled: {for: 1s, threshold: 5}
                    PeersLow: {for: 1s}
                \(WebhookProcessTests.receivers(receiver))
                """, directory: dir)
            defer { sidecar.process.send(SIGKILL) }
            try await Poll.until("sidecar.health()?[\"node_healthy\"] as? Bool == true", timeout: 60) { sidecar.health()?["node_healthy"] as? Bool == true }
            let prometheus = try await OperationsAssetsTests.startPrometheus(
                node: "127.0.0.1:\(apiPort)", sidecar: String(sidecar.url.dropFirst("http://".count)),
                rules: [
                    "alerts.yml": try await OperationsAssetsTests.renderedAlerts(
                        changing: "a + { 'for': 1 } + (if name == 'ChainHeightStalled' then { threshold: 5 } else {})"),
                    "recording.yml": try String(contentsOfFile: OperationsAssetsTests.root + "/prometheus/rules/recording.yml", encoding: .utf8),
                ],
                directory: TemporaryDirectory("prometheus-sick"))
            defer { prometheus.process.send(SIGKILL) }

            func sidecarSent(_ name: String) -> Bool { receiver.accepted.contains { $0.alertname == name && $0.status == "firing" } }
            for name in ["PeersLow", "OutboundPeersZero", "ChainHeightStalled", "MemoryGrowthHigh"] {
                let fired = await Poll.holds(within: 60, interval: 0.5) { prometheus.alertState(name) == "firing" }
                #expect(fired, "Prometheus: \(name) is \(prometheus.alertState(name) ?? "absent")")
            }
            for name in ["PeersLow", "ChainHeightStalled", "MemoryGrowthHigh"] {
                try await Poll.until("the sidecar to send \(name) (sent: \(receiver.all.compactMap(\.alertname)))", timeout: 30) { sidecarSent(name) }
            }

            // Killed, with restarts used up: down for good.
            let pid = try #require(sidecar.nodePid())
            kill(pid, SIGKILL)
            for name in ["NodeDown", "NodeCrashLooping"] {
                let fired = await Poll.holds(within: 60, interval: 0.5) { prometheus.alertState(name) == "firing" }
                #expect(fired, "Prometheus: \(name) is \(prometheus.alertState(name) ?? "absent")")
                try await Poll.until("the sidecar to send \(name) (sent: \(receiver.all.compactMap(\.alertname)))", timeout: 30) { sidecarSent(name) }
            }
            // The page names the node the way Prometheus does.
            let page = try #require(receiver.accepted.first { $0.alertname == "NodeDown" })
            #expect((page.json?["commonLabels"] as? [String: String])?["instance"] == OperationsAssetsTests.instance)
        }
    }
}
