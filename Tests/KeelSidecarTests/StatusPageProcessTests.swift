import Foundation
import KeelClient
import KeelFiles
import KeelTesting
import Testing

/// The status page as a person sees it: a real dev node mining under a real sidecar, the page
/// loaded in headless Chromium (no console message: no CSP refusal, no failed load, no
/// script), every section there, the DOM holding the node's real height and the alerts'
/// states, and a screenshot at desktop and at phone width in `.build/test-output/status-page`.
/// Then the same node stopped, a node that exits at every start, and one that is crash-looping.
@Suite("status page in a browser", .serialized, .keepsArtifacts)
struct StatusPageProcessTests {
    static let sections = ["node", "chain", "peers", "mining", "memory", "alerts", "webhooks", "soaks"]

    /// Loads `url`, checks it as every state must pass, writes its screenshots, returns the DOM.
    func look(at url: String, name: String) async throws -> String {
        let load = try await Chromium.load(url)
        #expect(load.console.isEmpty, "console messages on \(name): \(load.console)")
        #expect(load.dom.contains("<main>"), "no page for \(name): \(load.dom.prefix(300))")
        for id in Self.sections {
            #expect(load.dom.contains("<section id=\"\(id)\""), "section \(id) missing on \(name)")
        }
        #expect(!load.dom.contains("<script"))
        let output = try TestOutput.directory("status-page")
        try await Chromium.screenshot(url, to: output + "/\(name)-desktop.png", width: 1280, height: 2000)
        try await Chromium.screenshot(url, to: output + "/\(name)-phone.png", width: 390, height: 2400)
        return load.dom
    }

    /// The number in `data-NAME="…"`, if the DOM has it.
    func attribute(_ name: String, in dom: String) -> String? {
        guard let start = dom.range(of: "data-\(name)=\"") else { return nil }
        return String(dom[start.upperBound...].prefix { $0 != "\"" })
    }

    func get(_ url: String) throws -> (status: Int, text: String) {
        let response = try HTTPClient(connectTimeout: 2, timeout: 10).request("GET", url)
        return (response.status, response.text)
    }

    @Test(
        "a dev node mining, then stopped: every section, its real height, PeersLow firing and MemoryGrowthHigh pending, a soak report listed; stopped, DOWN with NodeDown pending"
    )
    func runningNode() async throws {
        try #require(Chromium.path != nil, "chromium is not installed: make deps installs it")
        let dir = TemporaryDirectory("status-running")
        // A finished soak report where the sidecar keeps them.
        let report = dir.path + "/state/soak/memory-20261204-120000"
        try FileManager.default.createDirectory(atPath: report, withIntermediateDirectories: true)
        try #"{"passed": false, "failure": "unaccounted RSS grew 31% (limit 25%)"}"#.write(toFile: report + "/report.json", atomically: true, encoding: .utf8)
        try "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><title>t</title></svg>\n".write(
            toFile: report + "/chart.svg", atomically: true, encoding: .utf8)
        let sidecar = try await SidecarProcess.start(
            """
            node:
              command: \(Binaries.path("keel-node"))
              arguments: [--dev, --data-dir, \(dir.path)/node, --api-addr, "127.0.0.1:0", --p2p-addr, "127.0.0.1:0", --threads, "1"]
              data_dir: \(dir.path)/node
            health: {interval: 250ms}
            sampler: {interval: 250ms}
            restart: {initial_backoff: 1h, max_backoff: 1h}
            alerts:
              rules:
                PeersLow: {for: 1s}
                MemoryGrowthHigh: {threshold: -1, for: 1h}
            """, directory: dir)
        defer { sidecar.process.send(SIGKILL) }
        // `make run` prints the page's address before anything else.
        #expect(sidecar.process.output.first == "keel-sidecar: status page \(sidecar.url)/", "first line: \(sidecar.process.output.first ?? "")")

        @Sendable func client() throws -> NodeClient {
            let url = try String(contentsOfFile: dir.path + "/node/api.url", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let token = try String(contentsOfFile: dir.path + "/node/api.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            return NodeClient(endpoint: NodeEndpoint(baseURL: url, token: token))
        }
        // Mining and alerts settled: some blocks, a hash rate, PeersLow past its `for`.
        try await Poll.until("blocks, a hash rate and PeersLow firing on the page", timeout: 60, interval: 0.25) {
            guard let page = try? get(sidecar.url + "/"), page.status == 200 else { return false }
            return (attribute("height", in: page.text).flatMap { Int($0) } ?? 0) >= 3 && page.text.contains("H/s")
                && page.text.contains("data-alert=\"PeersLow\" data-alert-state=\"firing\"")
        }
        var dom = try await look(at: sidecar.url + "/", name: "running")
        #expect(dom.contains("data-state=\"UP\""))
        #expect(dom.contains("data-alert=\"PeersLow\" data-alert-state=\"firing\""))
        #expect(dom.contains("data-alert=\"MemoryGrowthHigh\" data-alert-state=\"pending\""))
        #expect(dom.contains("<a href=\"/runbook/PeersLow\">"))
        #expect(dom.contains("data-soak=\"memory-20261204-120000\"") && dom.contains("FAILED"))
        #expect(dom.contains(">ON<"))

        // Mining stopped, the height holds still: the page shows exactly the node's height.
        _ = try await Blocking.run { try client().stopMining() }
        let height = try await Blocking.run { try client().status().height }
        try await Poll.until("the page to show mining off at height \(height)", timeout: 30, interval: 0.25) {
            guard let page = try? get(sidecar.url + "/") else { return false }
            return page.text.contains(">OFF<") && attribute("height", in: page.text) == String(height)
        }
        dom = try await look(at: sidecar.url + "/", name: "mining-stopped")
        #expect(attribute("height", in: dom) == String(height))
        #expect(dom.contains("Last stop took") && dom.contains("0 H/s <span class=\"muted\">(mining off)</span>"))

        // The runbook link and the soak report's files answer; other names do not.
        #expect(try get(sidecar.url + "/runbook/PeersLow").status == 200)
        #expect(try get(sidecar.url + "/soaks/memory-20261204-120000/chart.svg").status == 200)
        #expect(try get(sidecar.url + "/soaks/memory-20261204-120000/..%2F..%2Fsidecar.yaml").status == 404)
        #expect(try get(sidecar.url + "/soaks/nothing-here/report.json").status == 404)
        let soaks = try await Chromium.load(sidecar.url + "/soaks/")
        #expect(soaks.console.isEmpty, "console messages on /soaks/: \(soaks.console)")
        #expect(soaks.dom.contains("<img src=\"/soaks/memory-20261204-120000/chart.svg\""))

        // The same node stopped (SIGKILL, and a restart an hour away): DOWN at the top, how it
        // ended, NodeDown pending, and the height it last reported.
        let pid = try #require(sidecar.nodePid())
        kill(pid, SIGKILL)
        try await Poll.until("NodeDown pending on the page of a stopped node", timeout: 30, interval: 0.25) {
            (try? get(sidecar.url + "/"))?.text.contains("data-alert=\"NodeDown\" data-alert-state=\"pending\"") == true
        }
        dom = try await look(at: sidecar.url + "/", name: "stopped")
        let banner = try #require(dom.range(of: "id=\"condition\"").map { dom[$0.lowerBound...].prefix(3000) })
        #expect(banner.contains(">DOWN<") && banner.contains("killed by SIGKILL") && banner.contains("restarts it in"))
        #expect(attribute("height", in: dom) == String(height), "the last height the node reported")
        #expect(dom.contains("data-alert=\"NodeRestarted\""))
    }

    @Test("a node that is down: the page says DOWN at the top, why, when it restarts, and its last lines with the token hidden")
    func downNode() async throws {
        try #require(Chromium.path != nil, "chromium is not installed: make deps installs it")
        let dir = TemporaryDirectory("status-down")
        let secret = "tok" + String(repeating: "7", count: 40)
        try FileManager.default.createDirectory(atPath: dir.path + "/node", withIntermediateDirectories: true)
        try secret.write(toFile: dir.path + "/node/api.token", atomically: true, encoding: .utf8)
        let sidecar = try await SidecarProcess.start(
            """
            node:
              command: /bin/sh
              arguments: ["-c", "echo 'opening store with token \(secret)' >&2; echo 'fatal: database is damaged' >&2; exit 3"]
              data_dir: \(dir.path)/node
            health: {enabled: false}
            restart: {initial_backoff: 1h, max_backoff: 1h, burst: 100, burst_window: 1m}
            """, directory: dir)
        defer { sidecar.process.send(SIGKILL) }
        try await Poll.until("the supervisor to back off", timeout: 20) { sidecar.health()?["phase"] as? String == "backoff" }
        let dom = try await look(at: sidecar.url + "/", name: "down")
        let banner = try #require(dom.range(of: "id=\"condition\"").map { dom[$0.lowerBound...].prefix(3000) })
        #expect(dom.range(of: "id=\"condition\"")!.lowerBound < dom.range(of: "<section id=\"node\"")!.lowerBound, "the condition comes first")
        #expect(banner.contains(">DOWN<"))
        #expect(banner.contains("exited with code 3"), "\(banner)")
        #expect(banner.contains("restarts it in"))
        #expect(banner.contains("fatal: database is damaged"))
        #expect(!dom.contains(secret), "the node's token reached the page")
    }

    @Test("a crash-looping node: CRASH-LOOPING at the top, what to do, the last lines, NodeCrashLooping firing")
    func crashLoopingNode() async throws {
        try #require(Chromium.path != nil, "chromium is not installed: make deps installs it")
        let sidecar = try await SidecarProcess.start(
            SidecarProcess.shellNode("echo 'panic: cannot open <wallet> & keys' >&2; exit 1") + """

                restart: {initial_backoff: 50ms, max_backoff: 100ms, burst: 3, burst_window: 1m}
                alerts:
                  rules:
                    NodeCrashLooping: {for: 0s}
                """)
        defer { sidecar.process.send(SIGKILL) }
        try await Poll.until("restarts to stop", timeout: 20) { sidecar.health()?["phase"] as? String == "suspended" }
        try await Poll.until("NodeCrashLooping to fire", timeout: 20) {
            (sidecar.health()?["alerts_firing"] as? [String])?.contains("NodeCrashLooping") == true
        }
        let dom = try await look(at: sidecar.url + "/", name: "crash-looping")
        #expect(dom.contains(">CRASH-LOOPING<"))
        #expect(dom.contains("What to do"))
        // Escaped as text, not markup.
        #expect(dom.contains("panic: cannot open &lt;wallet&gt; &amp; keys"))
        #expect(dom.contains("data-alert=\"NodeCrashLooping\" data-alert-state=\"firing\""))
        #expect(attribute("restarts", in: dom).flatMap { Int($0) } ?? 0 >= 3)
    }
}
