import Foundation
import KeelTesting
import Testing

/// Assertions about time, run alone after the parallel suites (the Makefile runs every suite
/// whose name ends in TimingTests on its own), so other suites' load cannot skew the clock.
@Suite("keel-sidecar timing", .serialized, .keepsArtifacts)
struct SidecarTimingTests {
    @Test("a node that ignores SIGTERM is SIGKILLed after the stop timeout; no zombie remains")
    func ignoresSigterm() async throws {
        let sidecar = try await SidecarProcess.start(
            """
            \(SidecarProcess.shellNode("trap '' TERM; echo started; while :; do sleep 1; done"))
            stop: {timeout: 1s}
            """)
        let pid = try #require(await Poll.holds(within: 10) { sidecar.nodePid() != nil } ? sidecar.nodePid() : nil)
        let started = Date()
        sidecar.process.send(SIGTERM)
        #expect(await sidecar.process.waitForExit(timeout: 20) == 0, "the sidecar said: \(sidecar.process.output.suffix(20).joined(separator: " | "))")
        let took = Date().timeIntervalSince(started)
        #expect(took >= 1 && took < 5, "stop took \(took) s")
        #expect(sidecar.process.output.contains { $0.contains("ignored SIGTERM; sending SIGKILL") })
        try await Poll.until("the node (or its zombie) is still there: state \(String(describing: Procs.state(pid)))", timeout: 5) { !Procs.exists(pid) }
    }

    @Test("SIGKILL the supervised node: it is restarted within 2 s and the receiver gets the alert; SIGTERM to the sidecar stops it and exits 0")
    func restartsAKilledNode() async throws {
        try await TestReceiver.running { receiver in
            let dir = TemporaryDirectory("sidecar-node")
            let sidecar = try await SidecarProcess.start(
                """
                \(SidecarProcess.devNode(in: dir))
                health: {interval: 200ms, grace: 30s}
                alerts: {rules: {NodeRestarted: {for: 500ms}}}
                \(WebhookProcessTests.receivers(receiver))
                """, directory: dir)
            let healthy = await Poll.holds(within: 30) { sidecar.health()?["node_healthy"] as? Bool == true }
            #expect(healthy)
            let first = try #require(sidecar.nodePid())
            kill(first, SIGKILL)
            let killedAt = Date()
            let restarted = await Poll.holds(within: 10) { sidecar.nodePid().map { $0 != first } ?? false }
            #expect(restarted)
            #expect(Date().timeIntervalSince(killedAt) < 2, "restart took \(Date().timeIntervalSince(killedAt)) s")
            try await Poll.until("receiver.accepted.contains { $0.alertname == \"NodeRestarted\" && $0.status == \"firing\" }", timeout: 10) {
                receiver.accepted.contains { $0.alertname == "NodeRestarted" && $0.status == "firing" }
            }
            #expect(sidecar.metric("keel_sidecar_node_restarts_total{reason=\"crash\"}") == 1)
            #expect(Procs.zombies(of: sidecar.process.pid).isEmpty)
            let second = try #require(sidecar.nodePid())
            sidecar.process.send(SIGTERM)
            #expect(await sidecar.process.waitForExit(timeout: 20) == 0)
            try await Poll.until("the node to die with the sidecar", timeout: 5) { !Procs.exists(second) }
        }
    }
}
