import Foundation
import KeelChain
import KeelCore
import KeelFiles
import KeelMetrics
import KeelP2P
import KeelTesting
import NIOCore
import NIOPosix
import Synchronization

/// P2P figures: propagation along an 8-node line, 1,000 inbound handshakes with the node's
/// memory per peer, and the sync rate of a fresh node from one and from three peers, near and
/// far, each beside a reference from the same run.
enum P2PBench {
    static func run() async throws {
        try await propagation()
        try await inboundPeers()
        try await sync()
    }

    /// Blocks mined at node 0 of an 8-node line (in-process, real TCP on 127.0.0.1), timed until
    /// node 7 has committed them. Reference: a ping round trip between two of the nodes.
    static func propagation() async throws {
        let count = 8, blocks = 50
        let net = try await TestNetwork.start(count)
        try await net.line()
        let arrivals = Mutex<[Hash256: UInt64]>([:])
        net[count - 1].chain.chain.addListener { changes in
            for case .blockConnected(let hash, _, _) in changes { arrivals.withLock { $0[hash] = MonotonicTime.now() } }
        }
        var latencies = [Double]()
        for _ in 0..<blocks {
            let block = net[0].chain.makeBlock()
            let started = MonotonicTime.now()
            try net[0].chain.chain.submit(block, origin: .miner)
            let hash = block.hash
            let arrived = await Poll.holds(within: 10, interval: 0.001) { arrivals.withLock { $0[hash] } != nil }
            precondition(arrived, "block did not reach node \(count - 1)")
            latencies.append(Double(arrivals.withLock { $0[hash]! } - started) / 1e9)
        }
        // Reference: ping round trips to node 3 from a raw peer on the same loopback.
        let raw = try await RawPeer.connect(to: net[3].address)
        try await raw.handshake()
        _ = raw.messages()
        var pings = [Double]()
        for i in 0..<50 {
            let nonce = UInt64(7_000 + i)
            let started = MonotonicTime.now()
            try await raw.send(.ping(nonce))
            var got = false
            _ = await Poll.holds(within: 5, interval: 0.0002) {
                for case .pong(let n) in raw.messages() where n == nonce { got = true }
                return got
            }
            pings.append(MonotonicTime.seconds(since: started))
        }
        await raw.close()
        await net.stop()
        print("## Block propagation, 8-node line on 127.0.0.1 (in-process nodes, \(blocks) blocks mined at node 0)")
        print(
            "node 0 to node 7 (7 hops, each validating and committing): median \(ms(Measure.median(latencies))) ms, "
                + "p99 \(ms(Measure.percentile(latencies, 0.99))) ms, max \(ms(latencies.max() ?? 0)) ms (target: p99 < 100 ms)")
        print(
            "reference: ping round trip to one of the nodes, median \(ms(Measure.median(pings))) ms; "
                + "per hop median \(ms(Measure.median(latencies) / 7)) ms")
        print("")
        fflush(nil)
    }

    /// 1,000 raw peers connect to a real `keel-node` at once; handshake time is from the dial to
    /// the node's verack, memory is the node's RSS growth over its idle baseline.
    static func inboundPeers() async throws {
        let count = 1_000
        let dir = TemporaryDirectory("bench-peers")
        let node = try await NodeProcess.start(directory: dir.path, ["--max-inbound", "2000", "--max-tip-age", "100000000"])
        try await Task.sleep(for: .seconds(1))
        let baseline = NodeProcess.rss(node.process.pid)
        let started = MonotonicTime.now()
        let peers = try await withThrowingTaskGroup(of: (RawPeer, UInt64).self) { group in
            for i in 0..<count {
                group.addTask {
                    let dialled = MonotonicTime.now()
                    // Each from its own loopback host: one host may hold only --max-inbound-per-host.
                    let raw = try await RawPeer.connect(to: node.p2pAddress, from: RawPeer.source(i))
                    try await raw.handshake(timeout: 120)
                    return (raw, dialled)
                }
            }
            return try await group.reduce(into: [(RawPeer, UInt64)]()) { $0.append($1) }
        }
        let allDone = MonotonicTime.seconds(since: started)
        let established = await Poll.holds(within: 60) {
            ((try? node.client.metrics()) ?? "").contains("keel_peers{direction=\"inbound\"} \(count)")
        }
        precondition(established, "the node did not report \(count) inbound peers")
        try await Task.sleep(for: .seconds(1))
        let loaded = NodeProcess.rss(node.process.pid)
        let handshakes = peers.map { Double($0.0.verackAt - $0.1) / 1e9 }
        for (peer, _) in peers { await peer.close() }
        await node.stop()
        let perPeer = Double(loaded - baseline) / Double(count)
        let connects = try await plainConnects(count)
        print("## \(count) concurrent inbound peers on a real keel-node (raw peers doing version/verack)")
        print(
            "handshake, dial to verack: median \(ms(Measure.median(handshakes))) ms, p99 \(ms(Measure.percentile(handshakes, 0.99))) ms; "
                + "all \(count) in \(Measure.format(allDone, 2)) s")
        print(
            "reference: \(count) concurrent plain TCP connects to a listener that says nothing: median \(ms(Measure.median(connects))) ms, "
                + "p99 \(ms(Measure.percentile(connects, 0.99))) ms")
        print(
            "node memory per connected peer: \(Measure.format(perPeer / 1024)) KiB (RSS \(baseline / 1_048_576) MiB idle, "
                + "\(loaded / 1_048_576) MiB with \(count) peers; target < 64 KiB)")
        print("")
        fflush(nil)
    }

    /// Dial-to-connected times of `count` simultaneous TCP connects to a silent NIO listener.
    static func plainConnects(_ count: Int) async throws -> [Double] {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 2048)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        let address = "127.0.0.1:\(listener.localAddress!.port!)"
        let results = try await withThrowingTaskGroup(of: (RawPeer, Double).self) { group in
            for i in 0..<count {
                group.addTask {
                    let started = MonotonicTime.now()
                    let raw = try await RawPeer.connect(to: address, from: RawPeer.source(i))
                    return (raw, MonotonicTime.seconds(since: started))
                }
            }
            return try await group.reduce(into: [(RawPeer, Double)]()) { $0.append($1) }
        }
        for (raw, _) in results { await raw.close() }
        try await listener.close()
        return results.map(\.1)
    }

    /// A fresh `keel-node` syncs 10,000 blocks over loopback: from one peer, from three, and
    /// from three behind links with 50 ms added each way (`LatencyRelay`). Reference: importing
    /// the same blocks in-process with no network, timed just before each sync so that the two
    /// share the machine's moment (on a shared machine the import alone varied from 13,500 to
    /// 20,000 blocks/s between runs of the same build); the ratio is the median of the pairs'.
    static func sync() async throws {
        let count = 10_000, runs = 5
        let fixture = TemporaryDirectory("bench-sync-fixture")
        let (oneByOne, blocks) = try await Blocking.run { try premine(count: count, fixture: fixture) }
        print("## Sync of a fresh node from peers holding \(count) blocks (keel-node processes on 127.0.0.1; medians of \(runs) runs)")
        print(
            "reference: the same blocks validated and committed in-process with no network, in batches of 64 as the node's importer "
                + "takes them, once before each sync (mining them one at a time, a synced write each: \(Int(Double(count) / oneByOne)) blocks/s)")
        for (peers, delay) in [(1, TimeAmount.zero), (3, .zero), (3, .milliseconds(50))] {
            var times = [Double](), locals = [Double](), cores = [Double]()
            for _ in 0..<runs {
                let (local, used) = try await Blocking.run { try localImport(blocks) }
                locals.append(local)
                cores.append(used)
                times.append(try await syncSeconds(count: count, from: fixture, peers: peers, delay: delay))
            }
            let seconds = Measure.median(times), local = Measure.median(locals)
            let ratio = Measure.median(zip(locals, times).map { $0 / $1 })
            let link = delay == .zero ? "" : ", \(delay.nanoseconds / 1_000_000) ms added each way"
            print(
                "\(peers) serving peer\(peers == 1 ? "" : "s")\(link): \(Int(Double(count) / seconds)) blocks/s (\(Measure.format(seconds, 2)) s from the first dial; "
                    + "runs \(times.map { Measure.format($0, 2) }.joined(separator: ", ")) s); in-process import \(Int(Double(count) / local)) blocks/s "
                    + "(runs \(locals.map { Measure.format($0, 2) }.joined(separator: ", ")) s, \(Measure.format(Measure.median(cores), 2)) cores); "
                    + "\(Measure.format(ratio, 2)) of local import (median of the pairs; target >= 0.95)"
            )
            fflush(nil)
        }
        print("")
    }

    /// Mines `count` blocks into `fixture`, one at a time, each written synced; returns the
    /// seconds that took and the blocks.
    static func premine(count: Int, fixture: TemporaryDirectory) throws -> (seconds: Double, blocks: [Block]) {
        let source = try TestChain(directory: fixture)
        defer { source.close() }
        let seconds = try Measure.seconds { try source.premine(count) }
        var blocks = [Block]()
        for height in 1...UInt64(count) {
            guard let hash = try source.store.hash(atHeight: height), let block = try source.store.block(hash) else {
                preconditionFailure("the fixture lost block \(height)")
            }
            blocks.append(block)
        }
        return (seconds, blocks)
    }

    /// Imports `blocks` into a fresh store in batches of 64, as the node's importer takes them:
    /// the seconds it took and the cores it used (CPU seconds over wall seconds).
    static func localImport(_ blocks: [Block]) throws -> (seconds: Double, cores: Double) {
        let target = try TestChain(directory: TemporaryDirectory("bench-sync-local"))
        defer { target.close() }
        let before = Procs.cpuSeconds(getpid())
        // Under the allocator's bulk setting, as the node's importer runs.
        let seconds = try Measure.seconds {
            try Heap.bulk {
                for start in stride(from: 0, to: blocks.count, by: 64) {
                    for result in target.chain.submit(Array(blocks[start..<min(start + 64, blocks.count)]), origin: .peer) { _ = try result.get() }
                }
            }
        }
        precondition(target.chain.tip.height == UInt64(blocks.count), "the local import stopped at \(target.chain.tip.height)")
        return (seconds, (Procs.cpuSeconds(getpid()) - before) / seconds)
    }

    /// Seconds for a fresh node to reach the fixture's height from `peers` nodes serving copies
    /// of it, each reached through a relay adding `delay` each way when it is not zero. The clock
    /// starts at the first dial, once the fresh node is up (its start-up is not the sync's).
    static func syncSeconds(count: Int, from fixture: TemporaryDirectory, peers: Int, delay: TimeAmount) async throws -> Double {
        var servers = [NodeProcess](), copies = [TemporaryDirectory](), relays = [LatencyRelay]()
        for i in 0..<peers {
            let copy = TemporaryDirectory("bench-sync-peer\(i)")
            try FileManager.default.removeItem(atPath: copy.path)
            try FileManager.default.copyItem(atPath: fixture.path, toPath: copy.path)
            copies.append(copy)
            servers.append(try await NodeProcess.start(directory: copy.path, ["--max-tip-age", "100000000"]))
        }
        var dial = servers.map(\.p2pAddress)
        if delay != .zero {
            for server in servers { relays.append(try await LatencyRelay.start(to: server.p2pAddress, delay: delay)) }
            dial = relays.map(\.address)
        }
        let target = TemporaryDirectory("bench-sync-fresh")
        let fresh = try await NodeProcess.start(directory: target.path, ["--max-tip-age", "100000000", "--max-outbound", "0"])
        let started = MonotonicTime.now()
        let cpuBefore = (fresh: fresh.cpuSeconds, servers: servers.map(\.cpuSeconds).reduce(0, +))
        // All at once, as a node started with several `--connect` dials them: one after another,
        // each handshake's round trip (100 ms behind the relays) delayed the next peer's.
        let client = fresh.client
        try await withThrowingTaskGroup(of: Void.self) { group in
            for address in dial {
                group.addTask {
                    guard try await Blocking.run({ try client.connect(address) }) else { preconditionFailure("no handshake with \(address)") }
                }
            }
            try await group.waitForAll()
        }
        let synced = await Poll.holds(within: 900, interval: 0.02) { fresh.height == UInt64(count) }
        let seconds = MonotonicTime.seconds(since: started)
        let cpu = (fresh: fresh.cpuSeconds - cpuBefore.fresh, servers: servers.map(\.cpuSeconds).reduce(0, +) - cpuBefore.servers)
        precondition(synced, "sync from \(peers) peers did not finish")
        if let text = try? fresh.client.metrics() {
            // What the download did besides fetching each block once: where a slow sync loses time.
            let lines = text.split(separator: "\n").filter { line in
                !line.hasPrefix("#")
                    && [
                        "keel_p2p_download_refused_total", "keel_p2p_ignored_total", "keel_p2p_requests_expired_total", "keel_peer_disconnects_total",
                        "keel_p2p_sync_resumed_total",
                    ]
                    .contains { line.hasPrefix($0) } && !line.hasSuffix(" 0")
            }
            let received = Exposition.value("keel_p2p_messages_total{command=\"block\",direction=\"received\"}", in: text) ?? 0
            let getdata = Exposition.value("keel_p2p_messages_total{command=\"getdata\",direction=\"sent\"}", in: text) ?? 0
            let inbound = Exposition.value("keel_peers{direction=\"inbound\"}", in: text) ?? 0
            let headers = Exposition.value("keel_p2p_messages_total{command=\"headers\",direction=\"received\"}", in: text) ?? 0
            print(
                "  CPU: fresh node \(Measure.format(cpu.fresh, 2)) s, serving peers \(Measure.format(cpu.servers, 2)) s, over \(Measure.format(seconds, 2)) s on \(ProcessInfo.processInfo.activeProcessorCount) cores\n"
                    + "  fresh node: \(Int(received)) block messages received, \(Int(getdata)) getdata sent, \(Int(headers)) headers messages received, \(Int(inbound)) inbound peers; \(lines.isEmpty ? "nothing refused, ignored or expired" : lines.joined(separator: ", "))"
            )
        }
        await fresh.stop()
        for relay in relays { await relay.stop() }
        for server in servers { await server.stop() }
        return seconds
    }

    static func ms(_ seconds: Double) -> String { Measure.format(seconds * 1000, 2) }
}
