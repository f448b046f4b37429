import Crypto
import Foundation
import KeelTesting
import Testing

@Suite("keel-sidecar alerts through webhooks to a real receiver", .serialized, .keepsArtifacts)
struct WebhookProcessTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// Verifies a delivery's Standard Webhooks signature independently of the sidecar's code.
    static func verifies(_ delivery: TestReceiver.Delivery) -> Bool {
        guard let id = delivery.id, let timestamp = delivery.timestamp, let header = delivery.signature,
            let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count)))
        else { return false }
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(contentsOf: delivery.body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))
        return header == "v1," + Data(mac).base64EncodedString()
    }

    static func receivers(_ receiver: TestReceiver) -> String {
        """
        receivers:
          - name: ops
            url: \(receiver.url)
            secret: \(secret)
        delivery: {initial_backoff: 100ms, max_backoff: 500ms}
        """
    }

    @Test(
        "SIGKILL the node: the receiver gets NodeRestarted (signed, with the exit and the node's last lines), then its resolution, and no NodeDown page; no secret leaks"
    )
    func crashAlert() async throws {
        try await TestReceiver.running { receiver in
            let dir = TemporaryDirectory("sidecar-alert")
            let sidecar = try await SidecarProcess.start(
                """
                \(SidecarProcess.devNode(in: dir))
                health: {interval: 200ms, grace: 30s}
                sampler: {interval: 300ms}
                alerts:
                  labels: {instance: test-node}
                  rules:
                    PeersLow: {enabled: false}
                    NodeRestarted: {for: 500ms, window: 4s}
                \(WebhookProcessTests.receivers(receiver))
                """, directory: dir)
            try await Poll.until("sidecar.health()?[\"node_healthy\"] as? Bool == true", timeout: 30) { sidecar.health()?["node_healthy"] as? Bool == true }
            let pid = try #require(sidecar.nodePid())
            kill(pid, SIGKILL)
            let fired = await Poll.holds(within: 10) { receiver.accepted.contains { $0.alertname == "NodeRestarted" && $0.status == "firing" } }
            #expect(fired, "no NodeRestarted firing; received \(receiver.all.map { "\($0.alertname ?? "?") \($0.status ?? "?")" })")
            let resolved = await Poll.holds(within: 15) { receiver.accepted.contains { $0.alertname == "NodeRestarted" && $0.status == "resolved" } }
            #expect(resolved)
            // The supervisor fixed it within NodeDown's minute: no page.
            #expect(!receiver.accepted.contains { $0.alertname == "NodeDown" }, "\(receiver.all.map { "\($0.alertname ?? "?") \($0.status ?? "?")" })")
            let firing = try #require(receiver.accepted.first { $0.alertname == "NodeRestarted" && $0.status == "firing" })
            #expect(WebhookProcessTests.verifies(firing))
            let alert = try #require((firing.json?["alerts"] as? [[String: Any]])?.first)
            let labels = alert["labels"] as? [String: String]
            #expect(labels?["instance"] == "test-node")
            #expect(labels?["severity"] == "warning")
            let annotations = alert["annotations"] as? [String: String]
            #expect(annotations?["exit"]?.contains("SIGKILL") == true, "\(annotations ?? [:])")
            #expect(annotations?["logs"]?.contains("keel-node") == true, "the crash alert carries the node's last lines")
            #expect(annotations?["runbook_url"] == "runbook/alerts/NodeRestarted.md")
            let token = try String(contentsOfFile: dir.path + "/node/api.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            for delivery in receiver.all {
                #expect(!String(decoding: delivery.body, as: UTF8.self).contains(token))
            }
            // The receiver has the body before the sidecar has read the 2xx and counted it.
            try await Poll.until("sidecar.metric(\"keel_sidecar_webhook_deliveries_total{result=\\\"delivered\\\"}\") ?? 0 >= 2", timeout: 10) {
                sidecar.metric("keel_sidecar_webhook_deliveries_total{result=\"delivered\"}") ?? 0 >= 2
            }
            #expect(sidecar.metric("keel_sidecar_alert_notifications_total{status=\"firing\"}") ?? 0 >= 1)
            let metricsText = try #require(sidecar.metricsText())
            sidecar.process.send(SIGTERM)
            #expect(await sidecar.process.waitForExit(timeout: 20) == 0)
            let everything = sidecar.process.output.joined(separator: "\n") + metricsText
            #expect(!everything.contains(receiver.url), "the webhook URL leaked into logs or metrics")
            #expect(!everything.contains(WebhookProcessTests.secret.dropFirst(6)), "the webhook secret leaked into logs or metrics")
        }
    }

    @Test("a node that exits at every start: the burst limit stops restarts and NodeCrashLooping reaches the receiver")
    func crashLoopAlert() async throws {
        try await TestReceiver.running { receiver in
            let sidecar = try await SidecarProcess.start(
                """
                \(SidecarProcess.shellNode("echo failing; exit 3"))
                restart: {initial_backoff: 50ms, max_backoff: 100ms, burst: 3, burst_window: 1m}
                alerts: {rules: {NodeCrashLooping: {for: 1s}}}
                \(WebhookProcessTests.receivers(receiver))
                """)
            let looping = await Poll.holds(within: 20) { receiver.accepted.contains { $0.alertname == "NodeCrashLooping" && $0.status == "firing" } }
            #expect(looping)
            let alert = try #require(receiver.accepted.first { $0.alertname == "NodeCrashLooping" })
            #expect(WebhookProcessTests.verifies(alert))
            #expect(sidecar.health()?["status"] as? String == "degraded")
            #expect((sidecar.health()?["alerts_firing"] as? [String])?.contains("NodeCrashLooping") == true)
            #expect(sidecar.metric("keel_sidecar_alerts_firing{alertname=\"NodeCrashLooping\"}") == 1)
            sidecar.process.send(SIGTERM)
            #expect(await sidecar.process.waitForExit(timeout: 20) == 0)
        }
    }

    @Test("receiver down, then answering 503, then up; sidecar SIGKILLed with a full outbox: every alert arrives once, signed")
    func outboxSurvivesOutageAndCrash() async throws {
        let receiver = TestReceiver()
        try await receiver.start()
        let port = receiver.port
        await receiver.stop()
        let dir = TemporaryDirectory("sidecar-outbox")
        let first = try await SidecarProcess.start(
            """
            \(SidecarProcess.shellNode("echo failing; exit 3"))
            restart: {initial_backoff: 50ms, max_backoff: 100ms, burst: 2, burst_window: 1m}
            alerts: {rules: {NodeDown: {for: 0s}, NodeRestarted: {for: 0s}, NodeCrashLooping: {for: 0s}}}
            \(WebhookProcessTests.receivers(receiver))
            """, directory: dir)
        let queued = await Poll.holds(within: 20) {
            (first.metric("keel_sidecar_alerts_firing{alertname=\"NodeCrashLooping\"}") ?? 0) == 1
                && (first.metric("keel_sidecar_webhook_deliveries_total{result=\"retried\"}") ?? 0) >= 2
        }
        #expect(queued)
        first.process.send(SIGKILL)
        _ = await first.process.waitForExit(timeout: 10)
        let outbox = dir.path + "/state/outbox"
        let ids = Set(try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) })
        #expect(ids.count >= 3, "firing, resolved and crash-loop notifications should wait in the outbox: \(ids)")

        // Back, but overloaded at first: 503 with Retry-After, then accepting.
        receiver.answer.withLock { $0 = (503, "1") }
        try await receiver.start(port: port)
        defer { Task { await receiver.stop() } }
        let second = try await SidecarProcess.start(
            """
            \(SidecarProcess.shellNode("while :; do sleep 1; done"))
            \(WebhookProcessTests.receivers(receiver))
            """, directory: dir)
        try await Poll.until("!receiver.all.isEmpty", timeout: 10) { !receiver.all.isEmpty }
        receiver.answer.withLock { $0 = (200, nil) }
        let drained = await Poll.holds(within: 20) { ids.isSubset(of: Set(receiver.accepted.compactMap(\.id))) }
        #expect(drained, "delivered \(receiver.accepted.compactMap(\.id)) of \(ids)")
        let acceptedIDs = receiver.accepted.compactMap(\.id)
        #expect(acceptedIDs.count == Set(acceptedIDs).count, "a notification arrived twice")
        #expect(receiver.all.allSatisfy(WebhookProcessTests.verifies))
        let refused = receiver.all.filter { $0.answered == 503 }.compactMap(\.id)
        #expect(!refused.isEmpty && Set(refused).isSubset(of: Set(acceptedIDs)), "a 503 is retried under the same webhook-id")
        try await Poll.until("second.metric(\"keel_sidecar_outbox_depth\") == 0", timeout: 5) { second.metric("keel_sidecar_outbox_depth") == 0 }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".json") }.isEmpty)
        second.process.send(SIGTERM)
        #expect(await second.process.waitForExit(timeout: 20) == 0)
    }
}
