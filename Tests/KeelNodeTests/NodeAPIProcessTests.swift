import Foundation
import KeelClient
import KeelCore
import KeelTesting
import Testing

@Suite("keel-node API as a process", .serialized, .keepsArtifacts)
struct NodeAPIProcessTests {
    @Test("one client's requests share a connection; a node restarted under it costs one new connection, not an error")
    func connectionReuse() async throws {
        let dir = TemporaryDirectory("reuse")
        let node = try await NodeProcess.Builder(directory: dir.path).start()
        defer { Task { await node.stop() } }
        let url = node.client.endpoint.baseURL
        let http = HTTPClient(connectTimeout: 5, timeout: 10)
        let connects = try (0..<5).map { _ in try http.request("GET", url + "/health").newConnections }
        #expect(connects == [1, 0, 0, 0, 0])
        let port = try #require(URLComponents(string: url)?.port)
        await node.stop()
        let again = try await NodeProcess.Builder(directory: dir.path).with(["--api-addr", "127.0.0.1:\(port)"]).start()
        defer { Task { await again.stop() } }
        let after = try http.request("GET", url + "/health")
        #expect(after.status == 200)
        #expect(after.newConnections == 1, "the idle connection died with the first node")
        await again.stop()
    }

    @Test("1,000 mining start/stop cycles: hashing resumes, every miner thread exits, the thread count stays bounded")
    func miningCycles() async throws {
        let cycles = Int(ProcessInfo.processInfo.environment["KEEL_MINING_CYCLES"] ?? "") ?? 1_000
        let dir = TemporaryDirectory("cycles")
        let (node, client) = try await NodeHarness.startWithAPI(dir.path, ["--threads", "0"])
        // One warm-up cycle so lazily created threads (dispatch, event loops) exist in the baseline.
        _ = try client.startMining(threads: 1)
        _ = try client.stopMining()
        // The kernel drops a joined thread's /proc entry a moment after the join: awaited, or a
        // loaded machine shows the warm-up's miner beside the first cycle's.
        try await Poll.until("the warm-up miner thread to be gone", timeout: 10) {
            !Procs.threadNames(node.pid).contains { $0.hasPrefix("keel-miner") }
        }
        let baseline = Procs.threadCount(node.pid)
        #expect(baseline > 0)
        // The miner's own threads are named, so "stopped" is checked exactly: none may remain.
        // The total may wobble by a few (the dispatch pool grows under load and retires idle
        // workers seconds later), but a leak of one thread per cycle breaks the bound within a
        // handful of cycles.
        let slack = 4
        let miners = { Procs.threadNames(node.pid).filter { $0.hasPrefix("keel-miner") } }
        var stopSeconds = [Double]()
        var most = baseline
        for cycle in 0..<cycles {
            let before = try client.mining().hashesTotal
            let started = try client.startMining(threads: 1)
            #expect(started.active)
            let resumed = await Poll.holds(within: 10, interval: 0.001) { ((try? client.mining().hashesTotal) ?? 0) > before }
            #expect(resumed, "cycle \(cycle): hashing did not resume")
            // A worker names itself before it hashes, so once hashes count, the name is there.
            if cycle == 0 { #expect(miners() == ["keel-miner-0"]) }
            let stopped = try client.stopMining()
            #expect(!stopped.mining.active)
            stopSeconds.append(stopped.stopSeconds)
            // stop() joins its workers before answering; the kernel drops a joined thread's
            // /proc entry a moment after the join returns, hence the short poll.
            let gone = await Poll.holds(within: 2, interval: 0.001) { miners().isEmpty }
            #expect(gone, "cycle \(cycle): miner threads still running after stop: \(miners())")
            let bounded = await Poll.holds(within: 5, interval: 0.002) { Procs.threadCount(node.pid) <= baseline + slack }
            let count = Procs.threadCount(node.pid)
            most = max(most, count)
            #expect(bounded, "cycle \(cycle): \(count) threads after stop, baseline \(baseline)")
            if !(resumed && gone && bounded) { break }
        }
        #expect(stopSeconds.count == cycles)
        print("mining cycles: \(stopSeconds.count), threads baseline \(baseline), most after a stop \(most)")
        node.send(SIGTERM)
        #expect(await node.waitForExit(timeout: 10) == 0)
    }

    @Test("/ready is 503 while reindexing and 200 afterwards")
    func readyDuringReindex() async throws {
        let dir = TemporaryDirectory("ready")
        do {
            // Enough blocks that the reindex outlasts the API's start: 400 once did, until the
            // connect of a batch stopped walking from the tip for each block (issue 17).
            let chain = try TestChain(directory: dir)
            try chain.extend(3_000)
            chain.close()
        }
        let (node, client) = try await NodeHarness.startWithAPI(dir.path, ["--reindex", "--threads", "0", "--max-tip-age", "100000000"])
        let first = try client.raw("/ready")
        #expect(first.status == 503, "reindexing 3,000 blocks should still be under way: \(first.text)")
        #expect(first.text.contains("reindexing"))
        try await Poll.until("(try? client.raw(\"/ready\").status) == 200", timeout: 120) { (try? client.raw("/ready").status) == 200 }
        #expect(try client.status().height == 3_000)
        node.send(SIGTERM)
        #expect(await node.waitForExit(timeout: 10) == 0)
    }

    @Test("a node restarted mid-way answers the same tip and balances")
    func restartKeepsState() async throws {
        let dir = TemporaryDirectory("restart-api")
        let (first, client) = try await NodeHarness.startWithAPI(dir.path)
        try await Poll.until("((try? client.status().height) ?? 0) >= 15", timeout: 60) { ((try? client.status().height) ?? 0) >= 15 }
        _ = try client.stopMining()
        let status = try client.status()
        let payTo = try #require(status.mining.payTo)
        let balance = try client.balance(payTo)
        #expect(balance.utxoCount == Int(status.height))
        first.send(SIGKILL)
        _ = await first.waitForExit(timeout: 10)

        let (second, again) = try await NodeHarness.startWithAPI(dir.path, ["--threads", "0"])
        let after = try again.status()
        #expect(after.tip == status.tip)
        #expect(after.height == status.height)
        #expect(try again.balance(payTo).balance == balance.balance)
        #expect(try again.balance(payTo.uppercased()).balance == balance.balance)
        second.send(SIGTERM)
        #expect(await second.waitForExit(timeout: 10) == 0)
    }

    @Test("promtool check metrics reports nothing on a live node's /metrics")
    func promtool() async throws {
        let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let path = try #require(promtool, "promtool is missing: `make test` installs Debian's prometheus package")
        let dir = TemporaryDirectory("promtool")
        let (node, client) = try await NodeHarness.startWithAPI(dir.path)
        try await Poll.until("((try? client.status().height) ?? 0) >= 3", timeout: 60) { ((try? client.status().height) ?? 0) >= 3 }
        _ = try client.raw("/v1/status")
        _ = try client.raw("/v1/blocks/zz")
        let exposition = try client.metrics()
        #expect(exposition.contains("keel_blocks_connected_total{origin=\"miner\"}"))
        let file = dir.appending("metrics.txt")
        try exposition.write(toFile: file, atomically: true, encoding: .utf8)
        let check = try await Poll.run("/bin/sh", ["-c", "\(path) check metrics < \(file)"])
        #expect(check.status == 0, "promtool: \(check.output)")
        #expect(check.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool reported: \(check.output)")
        node.send(SIGTERM)
        #expect(await node.waitForExit(timeout: 10) == 0)
    }

    @Test("a block from an external miner counts as origin api and in block propagation; templates come from the cache")
    func externalMinerMetrics() async throws {
        let dir = TemporaryDirectory("external")
        let (node, client) = try await NodeHarness.startWithAPI(dir.path, ["--threads", "0"])
        let mode = try FileManager.default.attributesOfItem(atPath: dir.appending("api.token"))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(!node.output.joined().contains(client.endpoint.token ?? "no token"))
        func template() throws -> [String: Any]? {
            let response = try client.http.request(
                "POST", client.endpoint.baseURL + "/v1/mining/template",
                headers: ["Authorization": "Bearer \(client.endpoint.token ?? "")"])
            return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        }
        let first = try template()
        let again = try template()
        #expect(first?["generation"] as? Int == again?["generation"] as? Int)
        var block = try Block(decoding: Hex.decode(first?["block_hex"] as? String ?? "") ?? [])
        BlockFactory.grind(&block)
        let submit = try client.http.request(
            "POST", client.endpoint.baseURL + "/v1/mining/submit",
            headers: ["Authorization": "Bearer \(client.endpoint.token ?? "")"],
            body: Array("{\"hex\":\"\(Hex.encode(block.encoded))\"}".utf8))
        #expect(submit.status == 200, "\(submit.text)")
        let metrics = try client.metrics()
        func value(_ series: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
        }
        #expect(value("keel_blocks_connected_total{origin=\"api\"}") == 1)
        #expect(value("keel_block_propagation_seconds_count") == 1)
        #expect((value("keel_template_cache_hits_total") ?? 0) >= 1)
        #expect((value("keel_template_cache_misses_total") ?? 0) >= 1)
        #expect(value("keel_chain_height") == 1)
        // dev bounds RocksDB's block cache at 8 MiB (main: 32 MiB); the gauge shows its fill.
        #expect(value("keel_rocksdb_block_cache_capacity_bytes") == 8_388_608)
        let cached = try #require(value("keel_rocksdb_block_cache_bytes"))
        #expect(cached >= 0 && cached <= 8_388_608)
        node.send(SIGTERM)
        #expect(await node.waitForExit(timeout: 10) == 0)
    }

    @Test("an API address in use is a clear error, and the store is left closed cleanly")
    func addressInUse() async throws {
        let first = TemporaryDirectory("port-a"), second = TemporaryDirectory("port-b")
        let (node, client) = try await NodeHarness.startWithAPI(first.path, ["--threads", "0"])
        let address = client.endpoint.baseURL.replacingOccurrences(of: "http://", with: "")
        let clash = try await Poll.run(
            NodeHarness.node, ["--dev", "--data-dir", second.path, "--threads", "0", "--api-addr", address, "--p2p-addr", "127.0.0.1:0"])
        #expect(clash.status == 1)
        #expect(clash.output.contains("cannot listen on \(address): the address is in use"))
        let info = try await NodeHarness.info(second.path)
        #expect(info["clean_shutdown"] as? Bool == true)
        node.send(SIGTERM)
        #expect(await node.waitForExit(timeout: 10) == 0)
    }

    @Test(
        "a Host the node was not told of gets 403 (DNS rebinding), IP literals and localhost pass, --api-allow-host adds names; undeclared methods get 405 with Allow"
    )
    func hostsMethodsAndScope() async throws {
        let node = try await NodeProcess.start(directory: TemporaryDirectory("hosts").path, ["--api-allow-host", "keel.internal"])
        defer { node.process.send(SIGKILL) }
        let base = node.client.endpoint.baseURL
        let port = base.split(separator: ":").last.map(String.init) ?? ""
        let http = HTTPClient()
        for (host, expected) in [
            ("rebind.example:\(port)", 403), ("127.0.0.1:\(port)", 200), ("localhost:\(port)", 200),
            ("[::1]:\(port)", 200), ("keel.internal:\(port)", 200), ("KEEL.internal", 200),
        ] {
            let response = try http.request("GET", base + "/v1/peers/export", headers: ["Host": host])
            #expect(response.status == expected, "Host \(host): \(response.status) \(response.text)")
            if expected == 403 { #expect(response.text.contains("host_not_allowed") && response.text.contains("--api-allow-host")) }
        }
        for (method, path, allow) in [
            ("DELETE", "/v1/status", "GET"), ("GET", "/v1/mining/template", "POST"), ("GET", "/v1/network/verify", "POST"),
            ("PUT", "/v1/blocks/1", "GET"), ("POST", "/metrics", "GET"),
        ] {
            let response = try http.request(method, base + path)
            #expect(response.status == 405 && response.headers["allow"] == allow, "\(method) \(path): \(response.status) \(response.headers)")
        }
        #expect(try http.request("GET", base + "/v1/nowhere").status == 404)
    }

    @Test("--metrics-addr serves /metrics and nothing else, the API keeps /metrics, and an address in use names --metrics-addr")
    func metricsOnlyListener() async throws {
        let node = try await NodeProcess.start(directory: TemporaryDirectory("metrics-addr").path, ["--metrics-addr", "127.0.0.1:0"])
        defer { node.process.send(SIGKILL) }
        let line = await node.process.waitForLine(timeout: 30) { $0.hasPrefix("keel-node: metrics only ") }
        let url = try #require(line.map { String($0.dropFirst("keel-node: metrics only ".count).split(separator: " ")[0]) }, "\(node.process.output)")
        let base = String(url.dropLast("/metrics".count))
        let http = HTTPClient()
        let scrape = try http.request("GET", url)
        #expect(scrape.status == 200 && scrape.text.contains("keel_chain_height"))
        for path in ["/v1/status", "/health", "/v1/peers/export"] {
            #expect(try http.request("GET", base + path).status == 404, "\(path) answered on the metrics listener")
        }
        #expect(try http.request("POST", base + "/v1/mining/stop").status == 404)
        #expect(try node.client.metrics().contains("keel_chain_height"))

        let clash = try await Poll.run(
            NodeHarness.node,
            [
                "--dev", "--data-dir", TemporaryDirectory("metrics-clash").path, "--threads", "0",
                "--api-addr", "127.0.0.1:0", "--p2p-addr", "127.0.0.1:0",
                "--metrics-addr", String(base.dropFirst("http://".count)),
            ])
        #expect(clash.status == 1)
        #expect(clash.output.contains("the address is in use") && clash.output.contains("choose another --metrics-addr"), "\(clash.output)")
        let bad = try await Poll.run(NodeHarness.node, ["--dev", "--metrics-addr", "nowhere", "--data-dir", "/tmp/unused"])
        #expect(bad.status == 64 && bad.output.contains("--metrics-addr must be HOST:PORT"))
    }
}

/// A time limit, so run alone (`make test` runs suites named *TimingTests after the others):
/// under the parallel suites' load the API answered too slowly to count as load at all.
@Suite("keel-node API as a process: timing", .serialized, .keepsArtifacts)
struct NodeAPITimingTests {
    @Test("SIGTERM under API load: exit 0 in under a second, with the store closed cleanly")
    func shutdownUnderLoad() async throws {
        let wrk = try #require(
            ["/usr/bin/wrk", "/usr/local/bin/wrk"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "wrk is missing: `make test` installs it")
        let dir = TemporaryDirectory("load-stop")
        let (node, client) = try await NodeHarness.startWithAPI(dir.path)
        try await Poll.until("((try? client.status().height) ?? 0) >= 3", timeout: 60) { ((try? client.status().height) ?? 0) >= 3 }
        let load = try ChildProcess(wrk, ["-t2", "-c16", "-d20s", client.endpoint.baseURL + "/v1/status"])
        // Let the load reach the node before stopping it.
        #expect(
            await Poll.holds(within: 15) {
                Double(
                    String(decoding: (try? client.raw("/metrics").body) ?? [], as: UTF8.self)
                        .split(separator: "\n").first { $0.hasPrefix("keel_api_requests_total{route=\"GET /v1/status\",status_class=\"2xx\"}") }?
                        .split(separator: " ").last ?? "0") ?? 0 > 500
            })
        let started = Date()
        node.send(SIGTERM)
        let status = await node.waitForExit(timeout: 10, interval: 0.005)
        let seconds = Date().timeIntervalSince(started)
        #expect(status == 0)
        #expect(seconds < 1.0, "shutdown under load took \(seconds) s")
        #expect(node.output.contains { $0.contains("stopped cleanly") })
        load.send(SIGTERM)
        _ = await load.waitForExit(timeout: 10)
        let info = try await NodeHarness.info(dir.path)
        #expect(info["clean_shutdown"] as? Bool == true)
    }
}
