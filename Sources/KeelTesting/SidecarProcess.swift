import Foundation
import KeelClient

/// A real `keel-sidecar run` with a configuration written for the test: the sidecar half of
/// the process harness (`NodeProcess.Builder` is the node's).
public struct SidecarProcess: Sendable {
    /// Holds `sidecar.yaml` and the state directory (kept if the test fails).
    public let directory: TemporaryDirectory
    /// The sidecar's process: its output, pid and signals.
    public let process: ChildProcess
    /// Its base URL (`http://127.0.0.1:PORT`).
    public let url: String

    /// Writes `yaml` (with `listen: 127.0.0.1:PORT`, 0 unless given, and a state dir in the temp
    /// directory added) and starts `keel-sidecar run`, waiting for its listening line.
    /// `launcher` runs it through a command that executes it (`["/usr/bin/env", "K=V"]`).
    public static func start(
        _ yaml: String, directory: TemporaryDirectory = TemporaryDirectory("sidecar"), port: Int = 0,
        launcher: [String] = []
    ) async throws -> SidecarProcess {
        let config = directory.path + "/sidecar.yaml"
        try (yaml + "\nlisten: 127.0.0.1:\(port)\nstate_dir: \(directory.path)/state\n").write(toFile: config, atomically: true, encoding: .utf8)
        return try await start(configFile: config, directory: directory, launcher: launcher)
    }

    /// Starts `keel-sidecar run` on a configuration file the test wrote in full (`listen` and
    /// `state_dir` included), waiting for its listening line.
    public static func start(configFile: String, directory: TemporaryDirectory, launcher: [String] = []) async throws -> SidecarProcess {
        let command = launcher + [Binaries.path("keel-sidecar"), "run", "--config", configFile]
        let process = try ChildProcess(command[0], Array(command.dropFirst()))
        let up = await Poll.holds(within: 30) { process.output.contains { $0.hasPrefix("keel-sidecar: listening ") } || !process.isRunning }
        guard up, let line = process.output.first(where: { $0.hasPrefix("keel-sidecar: listening ") }) else {
            process.send(SIGKILL)
            throw PollTimeout(what: "keel-sidecar to listen", seconds: Poll.scaled(30), last: process.output.suffix(5).joined(separator: " | "))
        }
        return SidecarProcess(directory: directory, process: process, url: String(line.split(separator: " ")[2]))
    }

    /// The `node:` section for a real `keel-node --dev` in `directory/node` on loopback ports
    /// the kernel picks.
    public static func devNode(in directory: TemporaryDirectory) -> String {
        """
        node:
          command: \(Binaries.path("keel-node"))
          arguments: [--dev, --data-dir, \(directory.path)/node, --api-addr, "127.0.0.1:0", --p2p-addr, "127.0.0.1:0"]
          data_dir: \(directory.path)/node
        """
    }

    /// The `node:` section for a stand-in node: `script` run by `/bin/sh -c` (a node that fails,
    /// hangs or ignores SIGTERM), with health checks off since it serves no API.
    public static func shellNode(_ script: String) -> String {
        """
        node:
          command: /bin/sh
          arguments: ["-c", "\(script)"]
        health: {enabled: false}
        """
    }

    /// `/health` as JSON (nil if the sidecar does not answer).
    public func health() -> [String: Any]? {
        guard let response = try? HTTPClient(connectTimeout: 2, timeout: 5).request("GET", url + "/health") else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
    }

    /// The node's pid, if running.
    public func nodePid() -> Int32? { (health()?["node_pid"] as? Int).map { Int32($0) } }

    /// The sidecar's `/metrics` text.
    public func metricsText() -> String? { try? HTTPClient(connectTimeout: 2, timeout: 5).request("GET", url + "/metrics").text }

    /// One sample from `/metrics` by its exact series text.
    public func metric(_ series: String) -> Double? {
        guard let text = metricsText() else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") { return Double(line.dropFirst(series.count + 1)) }
        return nil
    }
}
