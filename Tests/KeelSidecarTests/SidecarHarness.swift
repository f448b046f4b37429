import Foundation
import KeelClient
import KeelTesting

/// A real `keel-sidecar` process with a configuration written for the test.
struct SidecarHarness {
    let directory: TemporaryDirectory
    let process: ChildProcess
    let url: String

    /// Writes `yaml` (with `listen: 127.0.0.1:PORT`, 0 unless given, and a state dir in the temp
    /// directory added) and starts `keel-sidecar run`, waiting for its listening line.
    /// `launcher` runs it through a command that executes it (`["/usr/bin/env", "K=V"]`).
    static func start(
        _ yaml: String, directory: TemporaryDirectory = TemporaryDirectory("sidecar"), port: Int = 0,
        launcher: [String] = []
    ) async throws -> SidecarHarness {
        let config = directory.path + "/sidecar.yaml"
        try (yaml + "\nlisten: 127.0.0.1:\(port)\nstate_dir: \(directory.path)/state\n").write(toFile: config, atomically: true, encoding: .utf8)
        let command = launcher + [Binaries.path("keel-sidecar"), "run", "--config", config]
        let process = try ChildProcess(command[0], Array(command.dropFirst()))
        let up = await Poll.until(timeout: 30) { process.output.contains { $0.hasPrefix("keel-sidecar: listening ") } || !process.isRunning }
        guard up, let line = process.output.first(where: { $0.hasPrefix("keel-sidecar: listening ") }) else {
            process.send(SIGKILL)
            throw PollTimeout(what: "keel-sidecar to listen: \(process.output.suffix(5).joined(separator: " | "))")
        }
        return SidecarHarness(directory: directory, process: process, url: String(line.split(separator: " ")[2]))
    }

    /// The `node:` section for a real `keel-node --dev` in `directory/node` on loopback ports
    /// the kernel picks.
    static func devNode(in directory: TemporaryDirectory) -> String {
        """
        node:
          command: \(Binaries.path("keel-node"))
          arguments: [--dev, --data-dir, \(directory.path)/node, --api-addr, "127.0.0.1:0", --p2p-addr, "127.0.0.1:0"]
          data_dir: \(directory.path)/node
        """
    }

    /// `/health` as JSON (nil if the sidecar does not answer).
    func health() -> [String: Any]? {
        guard let response = try? HTTPClient(connectTimeout: 2, timeout: 5).request("GET", url + "/health") else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
    }

    /// The node's pid, if running.
    func nodePid() -> Int32? { (health()?["node_pid"] as? Int).map { Int32($0) } }

    /// The sidecar's `/metrics` text.
    func metricsText() -> String? { try? HTTPClient(connectTimeout: 2, timeout: 5).request("GET", url + "/metrics").text }

    /// One sample from `/metrics` by its exact series text.
    func metric(_ series: String) -> Double? {
        guard let text = metricsText() else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") { return Double(line.dropFirst(series.count + 1)) }
        return nil
    }
}

/// Facts about processes from /proc.
enum Procs {
    /// Whether `pid` exists (a zombie counts: it is not reaped).
    static func exists(_ pid: Int32) -> Bool { FileManager.default.fileExists(atPath: "/proc/\(pid)") }

    /// The state letter of `pid` (R, S, Z, ...).
    static func state(_ pid: Int32) -> Character? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(close, offsetBy: 2)]
    }

    /// Zombie children of `parent`.
    static func zombies(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && fields[0] == "Z" && Int32(fields[1]) == parent
        }
    }

    /// Open file descriptors of `pid`.
    static func fdCount(_ pid: Int32) -> Int { ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).count }
}
