import Foundation
import KeelFiles
import KeelTesting
import Testing

/// keel-node under `Type=notify`: a real unix datagram socket stands where systemd's would
/// (there is no systemd as PID 1 here), and the node is started with systemd's variables.
@Suite("systemd's notify protocol", .serialized, .keepsArtifacts)
struct SystemdProcessTests {
    @Test("NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID are read as sd_notify(3) reads them")
    func environment() {
        #expect(SystemdNotifier(environment: [:]).socketPath == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "1000000"]).watchdogInterval == nil, "no socket, no watchdog")
        let watched = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@keel", "WATCHDOG_USEC": "30000000"], pid: 42)
        #expect(watched.socketPath == "@keel" && watched.watchdogInterval == 15)
        #expect(
            SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "7"], pid: 42).watchdogInterval == nil,
            "the watchdog is another process's")
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "42"], pid: 42).watchdogInterval == 15)
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"), "outside systemd nothing is sent")
    }

    @Test("READY=1 once the API answers, WATCHDOG=1 every half WATCHDOG_USEC, STOPPING=1 on SIGTERM, exit 0")
    func notifyLifecycle() async throws {
        let dir = TemporaryDirectory("systemd")
        let socket = try NotifySocket(path: dir.path + "/notify")
        defer { socket.close() }
        let node = try await NodeProcess.start(
            directory: dir.path + "/node",
            launcher: ["/usr/bin/env", "NOTIFY_SOCKET=\(socket.path)", "WATCHDOG_USEC=1000000"])
        defer { node.process.send(SIGKILL) }
        try await Poll.until("READY=1 (received: \(socket.received))", timeout: 30) { socket.received.contains { $0.contains("READY=1") } }
        #expect(node.status() != nil, "READY=1 before the API answers")
        let ready = try #require(socket.received.first { $0.contains("READY=1") })
        #expect(ready.contains("STATUS=serving the API on http://127.0.0.1:"))
        // Half a second apart: three pings well within three seconds.
        try await Poll.until("three WATCHDOG=1 (received: \(socket.received))", timeout: 10) { socket.received.count(where: { $0 == "WATCHDOG=1" }) >= 3 }
        node.process.send(SIGTERM)
        #expect(await node.process.waitForExit(timeout: 20) == 0)
        #expect(socket.received.contains { $0.hasPrefix("STOPPING=1") }, "\(socket.received)")
    }

    @Test(
        "KEEL_LOG_FORMAT=journal: lines carry their syslog priority; a mining node logs no line per block at info, and its first progress line 10 s after the start"
    )
    func journalLines() async throws {
        let dir = TemporaryDirectory("journal-lines")
        let node = try await NodeProcess.start(directory: dir.path, ["--threads", "1"], launcher: ["/usr/bin/env", "KEEL_LOG_FORMAT=journal"])
        defer { node.process.send(SIGKILL) }
        try await Poll.until("(node.height ?? 0) >= 20", timeout: 60) { (node.height ?? 0) >= 20 }
        #expect(
            await Poll.holds(within: 40) { node.process.output.contains { $0.hasPrefix("<6>keel-node: height ") && $0.contains("peers 0 (0 out), mempool") } },
            "\(node.process.output.suffix(5))")
        let lines = node.process.output
        #expect(lines.contains { $0.hasPrefix("<6>keel-node: mining started") }, "\(lines.suffix(10))")
        #expect(!lines.contains { $0.contains("block committed") }, "a line per block at info")
        #expect(lines.filter { $0.hasPrefix("<") }.allSatisfy { $0.range(of: #"^<[2-7]>keel"#, options: .regularExpression) != nil })
    }
}
