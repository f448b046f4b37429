import Foundation
import KeelChain
import KeelCore
import KeelMetrics
import KeelMining
import KeelNode
import KeelStorage
import KeelTesting

#if canImport(Glibc)
    import Glibc
#endif

/// Mining stop latency and template caching.
enum MiningBench {
    static func stopLatency() throws {
        let dir = TemporaryDirectory("bench-mining")
        let store = try ChainStore(directory: dir.path, network: .dev)
        let chain = try ChainState(store: store, logger: quietLogger)
        let miner = Miner(chain: chain, logger: quietLogger)
        let payTo = SigningKey().addressHash
        var stops = [Double](), floor = [Double]()
        for _ in 0..<1_000 {
            let before = miner.hashesTotal
            miner.start(threads: 2, payTo: payTo)
            // Stop workers that are hashing, not ones still starting: wait for the counter to move.
            let deadline = MonotonicTime.now() + 5_000_000_000
            while miner.hashesTotal == before && MonotonicTime.now() < deadline { sched_yield() }
            precondition(miner.hashesTotal > before, "hashing did not resume")
            stops.append(miner.stop())
            // Reference: starting and joining two idle threads, the least a stop can cost.
            floor.append(
                Measure.seconds {
                    var threads = [pthread_t](repeating: pthread_t(), count: 2)
                    for i in 0..<2 { pthread_create(&threads[i], nil, { _ in nil }, nil) }
                    for thread in threads { pthread_join(thread, nil) }
                })
        }
        print("## Mining stop latency, 2 threads hashing, 1,000 start/stop cycles")
        print(
            "median \(Measure.format(Measure.median(stops) * 1000, 3)) ms, p99 \(Measure.format(Measure.percentile(stops, 0.99) * 1000, 3)) ms, max \(Measure.format((stops.max() ?? 0) * 1000, 3)) ms (target p99 < 50 ms; old systems 5 s)"
        )
        print("reference, start and finish of two idle threads: median \(Measure.format(Measure.median(floor) * 1000, 3)) ms")
        print("")
        chain.close()
    }

    static func templateCache() throws {
        let dir = TemporaryDirectory("bench-template")
        let store = try ChainStore(directory: dir.path, network: .dev)
        let chain = try ChainState(store: store, logger: quietLogger)
        let key = SigningKey()
        let helper = ChainBench.Helper(chain: chain, key: key)
        // A mempool of 1,000 transactions makes the rebuild do real work.
        let fan = try helper.fanOut(1_000, each: 4_000_000)
        for n in 0..<1_000 {
            try chain.submitTransaction(
                BlockFactory.spend(
                    [(OutPoint(txid: fan.txid, index: UInt32(n)), key)],
                    to: [TxOutput(amount: Amount(units: 3_999_000 - UInt64(n)), addressHash: .burn)]))
        }
        let a = SigningKey().addressHash, b = SigningKey().addressHash
        var hits = [Double](), builds = [Double]()
        _ = try? chain.blockTemplate(payTo: a)
        for round in 0..<200 {
            hits.append(Measure.seconds { _ = try? chain.blockTemplate(payTo: a) })
            // Another payee is another cache entry: each call below rebuilds.
            builds.append(Measure.seconds { _ = try? chain.blockTemplate(payTo: round % 2 == 0 ? b : a) })
            _ = try? chain.blockTemplate(payTo: a)
        }
        let hit = Measure.median(hits), build = Measure.median(builds)
        print("## Block template: cache hit against a rebuild (mempool of 1,000 transactions, median of 200)")
        print("hit \(Measure.format(hit * 1e6, 2)) us, rebuild \(Measure.format(build * 1e6, 1)) us: the cache is \(Measure.format(build / hit, 0))x faster")
        print("")
        chain.close()
    }

    static func metricsRender() {
        let metrics = NodeMetrics(
            routes: [
                "GET /health", "GET /ready", "GET /metrics", "GET /v1/status", "GET /v1/blocks/{id}",
                "GET /v1/transactions/{txid}", "GET /v1/addresses/{address}/balance",
                "GET /v1/addresses/{address}/utxos", "GET /v1/mempool", "GET /v1/mining",
                "GET /v1/mining/template", "POST /v1/transactions", "POST /v1/mining/start",
                "POST /v1/mining/stop", "POST /v1/mining/submit",
            ],
            columnFamilies: ColumnFamily.allCases.map(\.rawValue), version: "bench", commit: "bench", rssWarmup: 0)
        var renders = [Double](), samples = [Double]()
        var size = 0
        for _ in 0..<500 {
            renders.append(Measure.seconds { size = metrics.render().count })
            samples.append(Measure.seconds { _ = ProcessSample.read() })
        }
        let series = String(decoding: metrics.render(), as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }.count
        print("## /metrics render, every series present (\(series) series, \(size) bytes; median of 500)")
        print(
            "render \(Measure.format(Measure.median(renders) * 1e6, 1)) us, of which reading /proc \(Measure.format(Measure.median(samples) * 1e6, 1)) us (reference)"
        )
        print("")
    }
}
