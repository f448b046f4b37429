import Foundation
import KeelTesting
import Testing

/// SIGHUP (`systemctl reload keel-sidecar`): receivers, secrets and rules change without the
/// node noticing; a file that does not parse changes nothing.
@Suite("keel-sidecar reloads its configuration on SIGHUP", .serialized, .keepsArtifacts)
struct ReloadProcessTests {
    @Test(
        "a new receiver and an enabled rule apply at once with the node untouched; fields that need a restart are named; a broken file is refused and counted")
    func reload() async throws {
        let first = TestReceiver(), second = TestReceiver()
        try await first.start()
        try await second.start()
        defer {
            Task {
                await first.stop(); await second.stop()
            }
        }
        let dir = TemporaryDirectory("reload")
        func config(receiver: TestReceiver, name: String, peersLow: String, extraArgument: String = "") -> String {
            """
            node:
              command: \(Binaries.path("keel-node"))
              arguments: [--dev, --data-dir, \(dir.path)/node, --api-addr, "127.0.0.1:0", --p2p-addr, "127.0.0.1:0", --threads, "0"\(extraArgument)]
              data_dir: \(dir.path)/node
            health: {interval: 250ms}
            sampler: {interval: 250ms}
            alerts:
              rules:
                PeersLow: \(peersLow)
            receivers:
              - name: \(name)
                url: \(receiver.url)
                secret: \(WebhookProcessTests.secret)
            delivery: {initial_backoff: 100ms, max_backoff: 500ms}
            listen: 127.0.0.1:0
            state_dir: \(dir.path)/state
            """
        }
        // This test rewrites the whole file, listen and state_dir included.
        let path = dir.path + "/sidecar.yaml"
        try config(receiver: first, name: "first", peersLow: "{enabled: false}").write(toFile: path, atomically: true, encoding: .utf8)
        let sidecar = try await SidecarProcess.start(configFile: path, directory: dir)
        let process = sidecar.process
        defer { process.send(SIGKILL) }
        try await Poll.until("sidecar.health()?[\"node_healthy\"] as? Bool == true", timeout: 60) { sidecar.health()?["node_healthy"] as? Bool == true }
        let pid = try #require(sidecar.nodePid())

        // The node has no peers: PeersLow, now enabled with a short `for`, fires to the new
        // receiver only. The node's arguments changed too: named, not applied.
        try config(receiver: second, name: "second", peersLow: "{for: 1s, threshold: 1}", extraArgument: ", --log-level, info")
            .write(toFile: path, atomically: true, encoding: .utf8)
        process.send(SIGHUP)
        #expect(
            await Poll.holds(within: 30) { second.accepted.contains { $0.alertname == "PeersLow" && $0.status == "firing" } },
            "the new receiver got \(second.all.compactMap(\.alertname)); sidecar: \(process.output.suffix(10))")
        #expect(!first.all.contains { $0.alertname == "PeersLow" }, "the old receiver was still used")
        #expect(sidecar.nodePid() == pid, "the reload restarted the node")
        #expect(process.output.contains { $0.contains("configuration reloaded") && $0.contains("alerts") && $0.contains("receivers") })
        #expect(
            process.output.contains { $0.contains("take effect only when the sidecar restarts") && $0.contains("fields=node") },
            "\(process.output.suffix(10))")
        #expect(sidecar.metric("keel_sidecar_config_reloads_total{result=\"ok\"}") == 1)

        // A broken file: refused, counted, and the running configuration stays.
        try "alerts: [unclosed".write(toFile: path, atomically: true, encoding: .utf8)
        process.send(SIGHUP)
        try await Poll.until("sidecar.metric(\"keel_sidecar_config_reloads_total{result=\\\"failed\\\"}\") == 1", timeout: 10) {
            sidecar.metric("keel_sidecar_config_reloads_total{result=\"failed\"}") == 1
        }
        #expect(process.output.contains { $0.contains("configuration reload refused; the running configuration stays") })
        #expect(process.isRunning && sidecar.nodePid() == pid)
        #expect(!process.output.contains { $0.contains(WebhookProcessTests.secret) || $0.contains(second.url) }, "a secret reached the log")
    }
}
