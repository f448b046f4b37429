import Foundation
import KeelClient
import KeelTesting

/// Helpers for tests that run the real `keel-node` and `keel` binaries.
enum NodeHarness {
    static var node: String { Binaries.path("keel-node") }
    static var cli: String { Binaries.path("keel") }

    /// A dev node mining with one thread into `directory`, logging at debug, so each committed
    /// block is logged (`block committed`, after its synced write): what the crash tests hold
    /// the store to.
    static func builder(_ directory: String, _ extra: [String] = []) -> NodeProcess.Builder {
        NodeProcess.Builder(directory: directory).mining(1).logging("debug").with(extra)
    }

    /// Starts `builder(directory, extra)` without waiting for it.
    static func start(_ directory: String, _ extra: [String] = []) throws -> ChildProcess {
        try builder(directory, extra).spawn()
    }

    /// Heights the node logged as committed, in order.
    static func committedHeights(_ lines: [String]) -> [UInt64] {
        lines.filter { $0.contains("block committed") }.compactMap { line in
            guard let range = line.range(of: #"height=(\d+)"#, options: .regularExpression) else { return nil }
            return UInt64(line[range].dropFirst("height=".count))
        }
    }

    /// The height the node reported at start-up (`keel-node: tip height N ...`).
    static func startupHeight(_ lines: [String]) -> UInt64? {
        for line in lines where line.hasPrefix("keel-node: tip height ") {
            return UInt64(line.split(separator: " ")[3])
        }
        return nil
    }

    /// The API base URL the node printed (`keel-node: API http://127.0.0.1:PORT ...`).
    static func apiURL(_ lines: [String]) -> String? {
        for line in lines where line.hasPrefix("keel-node: API ") {
            return String(line.split(separator: " ")[2])
        }
        return nil
    }

    /// `keel chain info --json` parsed.
    static func info(_ directory: String) async throws -> [String: Any] {
        let result = try await Poll.run(cli, ["chain", "info", "--data-dir", directory, "--json"])
        guard result.status == 0, let line = result.output.split(separator: "\n").last,
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else {
            throw HarnessError(message: "chain info failed (\(result.status)): \(result.output)")
        }
        return object
    }
}

extension NodeHarness {
    /// Starts `builder(directory, extra)` and waits until its API answers; returns the process
    /// and a client.
    static func startWithAPI(_ directory: String, _ extra: [String] = []) async throws -> (ChildProcess, NodeClient) {
        var builder = builder(directory, extra)
        builder.awaitsP2P = false
        let node = try await builder.start()
        return (node.process, node.client)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
