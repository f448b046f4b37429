import Foundation
import KeelClient
import KeelCore
import KeelTesting

/// SIGTERM to exit of a mining node, against the floor of SIGKILL to exit of the same binary.
enum ShutdownBench {
    static func run() async throws {
        let node = Binaries.path("keel-node")
        var graceful = [Double](), killed = [Double]()
        for round in 0..<10 {
            let dir = TemporaryDirectory("bench-stop")
            let child = try ChildProcess(node, ["--dev", "--data-dir", dir.path, "--threads", "2", "--api-addr", "127.0.0.1:0", "--p2p-addr", "127.0.0.1:0"])
            // Mining for a few blocks (its height from the API: blocks are logged at debug only).
            let started = await Poll.holds(within: 60) { child.output.contains { $0.hasPrefix("keel-node: API ") } }
            let line = child.output.first { $0.hasPrefix("keel-node: API ") }
            precondition(started, "node did not start: \(child.output.suffix(3))")
            let client = NodeClient(endpoint: NodeEndpoint(baseURL: String(line!.split(separator: " ")[2]), token: nil))
            let mining = await Poll.holds(within: 60) { ((try? client.status())?.height ?? 0) >= 3 }
            precondition(mining, "node did not mine: \(child.output.suffix(3))")
            let start = MonotonicTime.now()
            child.send(round % 2 == 0 ? SIGTERM : SIGKILL)
            let status = await child.waitForExit(timeout: 30, interval: 0.001)
            let seconds = MonotonicTime.seconds(since: start)
            if round % 2 == 0 {
                precondition(status == 0, "SIGTERM exit status \(String(describing: status))")
                graceful.append(seconds)
            } else {
                killed.append(seconds)
            }
        }
        print("## Graceful shutdown of a mining node (2 threads), SIGTERM to exit (5 runs)")
        print("median \(Measure.format(Measure.median(graceful) * 1000)) ms, max \(Measure.format((graceful.max() ?? 0) * 1000)) ms (target < 1000 ms)")
        print("SIGKILL to exit of the same node (floor, reference): median \(Measure.format(Measure.median(killed) * 1000)) ms")
        print("")
    }
}
