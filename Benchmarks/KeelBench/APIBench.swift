import Foundation
import KeelChain
import KeelClient
import KeelCore
import KeelStorage
import KeelTesting

/// The HTTP API under load (wrk) and the balance route beside the direct store read.
enum APIBench {
    static func run() async throws {
        let dir = TemporaryDirectory("bench-api")
        let holder = SigningKey().addressHash
        var direct = [Double]()
        do {
            let store = try ChainStore(directory: dir.path, network: .dev)
            let chain = try ChainState(store: store, logger: quietLogger)
            let key = SigningKey()
            let helper = ChainBench.Helper(chain: chain, key: key)
            _ = try helper.fanOut(10_000, each: 1_000, to: holder)
            chain.close()
        }
        do {
            // Read from the database as the node will find it, reopened (RocksDB flushes what
            // it recovers at open): fresh writes still in the memtable scan faster than tables do.
            let store = try ChainStore(directory: dir.path, network: .dev)
            let chain = try ChainState(store: store, logger: quietLogger)
            for _ in 0..<101 { direct.append(try Measure.seconds { _ = try chain.balance(of: holder) }) }
            chain.close()
        }
        let node = try ChildProcess(
            Binaries.path("keel-node"),
            [
                "--dev", "--data-dir", dir.path, "--threads", "0",
                "--api-addr", "127.0.0.1:0", "--p2p-addr", "127.0.0.1:0", "--max-tip-age", "100000000",
            ])
        guard await Poll.holds(within: 60, { node.output.contains { $0.hasPrefix("keel-node: API ") } }),
            let line = node.output.first(where: { $0.hasPrefix("keel-node: API ") })
        else {
            print("API bench skipped: the node did not start: \(node.output.suffix(3))")
            return
        }
        let url = String(line.split(separator: " ")[2])
        let client = NodeClient(endpoint: NodeEndpoint(baseURL: url, token: nil))
        let address = Address(hash: holder, network: .dev).string
        var overAPI = [Double]()
        for _ in 0..<101 {
            overAPI.append(
                try Measure.seconds {
                    let count = try client.balance(address).utxoCount
                    precondition(count == 10_000)
                })
        }
        // The HTTP floor: a route with no chain work, over the same client and connection.
        var floor = [Double]()
        for _ in 0..<101 { floor.append(try Measure.seconds { _ = try client.raw("/health") }) }
        print("## Balance of an address with 10,000 UTXOs over the API (median of 101)")
        print(
            "GET /v1/addresses/{address}/balance \(Measure.format(Measure.median(overAPI) * 1000, 2)) ms; direct store read of the reopened database (reference) \(Measure.format(Measure.median(direct) * 1000, 2)) ms; ratio \(Measure.format(Measure.median(overAPI) / Measure.median(direct), 2)) (target <= 1.3); "
                + "GET /health over the same client \(Measure.format(Measure.median(floor) * 1000, 2)) ms"
        )
        print("")

        let status = wrk(url + "/v1/status"), health = wrk(url + "/health")
        print("## GET /v1/status under load: wrk -t2 -c32 -d5s on loopback")
        if let status, let health {
            print(
                "/v1/status \(Int(status)) requests/s; /health (reference, no chain work) \(Int(health)) requests/s; ratio \(Measure.format(status / health, 2))"
            )
        } else {
            print("wrk not found (make bench installs it)")
        }
        print("")
        node.send(SIGTERM)
        _ = await node.waitForExit(timeout: 10)
    }

    static func wrk(_ url: String) -> Double? {
        let output = Measure.shell("wrk -t2 -c32 -d5s \(url) 2>&1")
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }) else { return nil }
        return Double(line.split(separator: " ").last ?? "")
    }
}
