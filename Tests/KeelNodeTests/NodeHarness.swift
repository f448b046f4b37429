import Foundation
import KeelClient
import KeelTesting

/// Helpers for tests that run the real `keel-node` and `keel` binaries.
enum NodeHarness {
    static var node: String { Binaries.path("keel-node") }
    static var cli: String { Binaries.path("keel") }

    /// Starts a dev node mining with one thread into `directory`.
    /// At debug, so each committed block is logged (`block committed`, after its synced write):
    /// what the crash tests hold the store to.
    static func start(_ directory: String, _ extra: [String] = []) throws -> ChildProcess {
        try ChildProcess(
            node,
            [
                "--dev", "--data-dir", directory, "--threads", "1", "--api-addr", "127.0.0.1:0", "--p2p-addr", "127.0.0.1:0",
                "--log-level", "debug",
            ] + extra)
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
    /// Starts a node and waits until its API answers; returns the process and a client.
    static func startWithAPI(_ directory: String, _ extra: [String] = []) async throws -> (ChildProcess, NodeClient) {
        let node = try start(directory, extra)
        guard await Poll.until(timeout: 60, { apiURL(node.output) != nil || !node.isRunning }), let url = apiURL(node.output) else {
            throw HarnessError(message: "the node's API did not come up: \(node.output.suffix(5))")
        }
        let token = try String(contentsOfFile: directory + "/api.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return (node, NodeClient(endpoint: NodeEndpoint(baseURL: url, token: token)))
    }

    /// OS threads of a process.
    static func threadCount(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").count) ?? -1
    }

    /// The names (`comm`) of the process's threads; a thread that exits between the listing and
    /// the read is skipped.
    static func threadNames(_ pid: Int32) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { task in
            (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
