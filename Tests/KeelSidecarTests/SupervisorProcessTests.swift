import Foundation
import KeelClient
import KeelTesting
import Testing

@Suite("keel-sidecar supervising real processes", .serialized, .keepsArtifacts)
struct SupervisorProcessTests {
    @Test("a node that exits at once on every start: the burst limit stops restarts and says so")
    func burstLimit() async throws {
        let sidecar = try await SidecarProcess.start(
            """
            \(SidecarProcess.shellNode("echo failing; exit 3"))
            restart: {initial_backoff: 50ms, max_backoff: 100ms, burst: 4, burst_window: 1m}
            """)
        let suspended = await Poll.holds(within: 20) { sidecar.health()?["phase"] as? String == "suspended" }
        #expect(suspended)
        #expect(sidecar.metric("keel_sidecar_node_starts_total") == 4)
        #expect(sidecar.metric("keel_sidecar_restarts_suspended") == 1)
        #expect(sidecar.health()?["status"] as? String == "degraded")
        #expect(sidecar.health()?["last_exit"] as? String == "exited with code 3")
        #expect(sidecar.process.output.contains { $0.contains("crash-looping; restarts stopped") })
        // It stays down: no further starts.
        try await Task.sleep(for: .milliseconds(500))
        #expect(sidecar.metric("keel_sidecar_node_starts_total") == 4)
        sidecar.process.send(SIGTERM)
        #expect(await sidecar.process.waitForExit(timeout: 20) == 0)
    }

    @Test("100 restart cycles leave no zombie and no leaked file descriptor in the sidecar")
    func hundredCycles() async throws {
        let sidecar = try await SidecarProcess.start(
            """
            \(SidecarProcess.shellNode("echo out; echo err >&2; sleep 0.01; exit 1"))
            restart: {initial_backoff: 10ms, max_backoff: 10ms, burst: 1000, burst_window: 1m}
            """)
        let warm = await Poll.holds(within: 20) { (sidecar.metric("keel_sidecar_node_starts_total") ?? 0) >= 5 }
        #expect(warm)
        let baseline = Procs.fdCount(sidecar.process.pid)
        let done = await Poll.holds(within: 120) { (sidecar.metric("keel_sidecar_node_starts_total") ?? 0) >= 105 }
        #expect(done)
        // A child that exited in the last few milliseconds may not be reaped yet; none may stay.
        let seen = Procs.zombies(of: sidecar.process.pid)
        let reaped = await Poll.holds(within: 2) { Set(Procs.zombies(of: sidecar.process.pid)).isDisjoint(with: seen) }
        #expect(reaped, "zombies left: \(seen)")
        // The child started last may still hold its pipes for a moment; a leak would not drain.
        let drained = await Poll.holds(within: 5) { Procs.fdCount(sidecar.process.pid) <= baseline + 2 }
        #expect(drained, "fds grew from \(baseline) to \(Procs.fdCount(sidecar.process.pid))")
        #expect((sidecar.metric("keel_sidecar_children_reaped") ?? 0) >= 100)
        sidecar.process.send(SIGTERM)
        #expect(await sidecar.process.waitForExit(timeout: 20) == 0)
    }

    @Test("the node dies with its supervisor: SIGKILL the sidecar and the node goes too")
    func parentDeath() async throws {
        let sidecar = try await SidecarProcess.start(
            """
            \(SidecarProcess.shellNode("exec sleep 1000"))
            """)
        let pid = try #require(await Poll.holds(within: 10) { sidecar.nodePid() != nil } ? sidecar.nodePid() : nil)
        sidecar.process.send(SIGKILL)
        _ = await sidecar.process.waitForExit(timeout: 10)
        try await Poll.until("the node to die with its supervisor", timeout: 5) { !Procs.exists(pid) || Procs.state(pid) == "Z" }
    }

    @Test("under Type=notify: READY=1 once listening, WATCHDOG=1 while running, STOPPING=1 on SIGTERM; the node does not inherit the notify socket")
    func systemdNotify() async throws {
        let dir = TemporaryDirectory("sidecar-notify")
        let socket = try NotifySocket(path: dir.path + "/notify")
        defer { socket.close() }
        let sidecar = try await SidecarProcess.start(
            SidecarProcess.devNode(in: dir) + "\nhealth: {interval: 250ms}\n", directory: dir,
            launcher: ["/usr/bin/env", "NOTIFY_SOCKET=\(socket.path)", "WATCHDOG_USEC=1000000"])
        defer { sidecar.process.send(SIGKILL) }
        #expect(
            await Poll.holds(within: 30) { socket.received.contains { $0.hasPrefix("READY=1") && $0.contains("STATUS=supervising the node") } },
            "\(socket.received)")
        try await Poll.until("sidecar.health()?[\"node_healthy\"] as? Bool == true", timeout: 60) { sidecar.health()?["node_healthy"] as? Bool == true }
        try await Poll.until("three WATCHDOG=1 (received: \(socket.received))", timeout: 10) { socket.received.count(where: { $0 == "WATCHDOG=1" }) >= 3 }
        sidecar.process.send(SIGTERM)
        #expect(await sidecar.process.waitForExit(timeout: 30) == 0)
        #expect(socket.received.contains { $0.hasPrefix("STOPPING=1") }, "\(socket.received)")
        // The node was started with the environment minus systemd's variables: nothing it sent.
        #expect(!socket.received.contains { $0.contains("serving the API") }, "the node announced itself on the sidecar's socket: \(socket.received)")
    }

    @Test("with logs.token_file, /logs answers only the token (401 otherwise), and keel-sidecar logs --token-file reads it")
    func logsToken() async throws {
        let dir = TemporaryDirectory("logs-token")
        let tokenFile = dir.path + "/logs.token"
        try "s3cret-logs-token\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let sidecar = try await SidecarProcess.start(
            SidecarProcess.devNode(in: dir) + "\nlogs: {token_file: \(tokenFile)}\nhealth: {interval: 250ms}\n",
            directory: dir)
        defer { sidecar.process.send(SIGKILL) }
        try await Poll.until("sidecar.health()?[\"node_healthy\"] as? Bool == true", timeout: 60) { sidecar.health()?["node_healthy"] as? Bool == true }
        let http = HTTPClient()
        let open = try http.request("GET", sidecar.url + "/logs")
        #expect(open.status == 401 && !open.text.contains("s3cret"))
        #expect(try http.request("GET", sidecar.url + "/logs", headers: ["Authorization": "Bearer wrong"]).status == 401)
        let allowed = try http.request("GET", sidecar.url + "/logs", headers: ["Authorization": "Bearer s3cret-logs-token"])
        #expect(allowed.status == 200 && allowed.text.contains("keel-node:"))
        let cli = try await Poll.run(Binaries.path("keel-sidecar"), ["logs", "--sidecar", sidecar.url, "--token-file", tokenFile, "--lines", "5"])
        #expect(cli.status == 0 && cli.output.contains("keel-node"), "\(cli.output)")
        let refused = try await Poll.run(Binaries.path("keel-sidecar"), ["logs", "--sidecar", sidecar.url])
        #expect(refused.status == 1 && refused.output.contains("401"))
        // /health and /metrics stay open (Prometheus scrapes them).
        #expect(try http.request("GET", sidecar.url + "/health").status == 200)
    }
}
