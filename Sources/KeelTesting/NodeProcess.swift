import Foundation
import KeelAPIModels
import KeelClient

/// A real `keel-node` process on loopback (API and P2P on free ports), with a client for its
/// API and the P2P address it printed: the out-of-process half of the multi-node harness.
public final class NodeProcess: Sendable {
    /// Its data directory.
    public let directory: String
    /// The node's process: its output, pid and signals.
    public let process: ChildProcess
    /// A client for its API (with the token).
    public let client: NodeClient
    /// Where it listens for peers (`host:port`).
    public let p2pAddress: String

    /// Starts `keel-node --dev` on `directory` with `arguments` (add `--threads N` to mine; the
    /// default here is 0) and waits until both its API and P2P addresses are printed. `launcher`
    /// runs it through a command that then executes it (`["/usr/bin/prlimit", "--nofile=192:192"]`).
    public static func start(
        directory: String, _ arguments: [String] = [], launcher: [String] = [],
        timeout: Double = 60
    ) async throws -> NodeProcess {
        var builder = Builder(directory: directory)
        builder.arguments = arguments
        builder.launcher = launcher
        builder.timeout = timeout
        return try await builder.start()
    }

    /// How a test starts a `keel-node --dev`: the one way every process test does it.
    public struct Builder: Sendable {
        /// The data directory.
        public var directory: String
        /// Arguments after the harness's own (`--dev`, the data directory, loopback ports on
        /// port 0, `--threads 0` unless given here).
        public var arguments: [String] = []
        /// A command that executes the node (`["/usr/bin/prlimit", "--nofile=192:192"]`).
        public var launcher: [String] = []
        /// `--log-level`; debug logs each committed block, which crash tests read.
        public var logLevel: String?
        /// Seconds (scaled) for the API and P2P addresses to be printed.
        public var timeout: Double = 60
        /// Whether `start` also waits for the P2P address (a reindexing node serves its API
        /// before it listens for peers); without it `p2pAddress` may be empty.
        public var awaitsP2P = true

        /// A node on `directory`, not mining.
        public init(directory: String) { self.directory = directory }

        /// The same node mining with `threads` threads.
        public func mining(_ threads: Int = 1) -> Builder { with(["--threads", String(threads)]) }

        /// The same node with `extra` arguments appended.
        public func with(_ extra: [String]) -> Builder {
            var copy = self
            copy.arguments += extra
            return copy
        }

        /// The same node logging at `level`.
        public func logging(_ level: String) -> Builder {
            var copy = self
            copy.logLevel = level
            return copy
        }

        /// The full command line, launcher first.
        public var commandLine: [String] {
            var args = ["--dev", "--data-dir", directory, "--api-addr", "127.0.0.1:0", "--p2p-addr", "127.0.0.1:0"]
            if !arguments.contains("--threads") { args += ["--threads", "0"] }
            if let logLevel, !arguments.contains("--log-level") { args += ["--log-level", logLevel] }
            return launcher + [Binaries.path("keel-node")] + args + arguments
        }

        /// Starts the process without waiting for it (crash tests read its output from the
        /// first line).
        public func spawn() throws -> ChildProcess {
            let command = commandLine
            return try ChildProcess(command[0], Array(command.dropFirst()))
        }

        /// Starts the node and waits until its API and P2P addresses are printed.
        public func start() async throws -> NodeProcess {
            let process = try spawn()
            func value(_ prefix: String) -> String? {
                process.output.first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count).split(separator: " ")[0]) }
            }
            let up = await Poll.holds(within: timeout) {
                (value("keel-node: API ") != nil && (!awaitsP2P || value("keel-node: p2p ") != nil)) || !process.isRunning
            }
            guard up, let url = value("keel-node: API "), let p2p = value("keel-node: p2p ") ?? (awaitsP2P ? nil : "") else {
                process.send(SIGKILL)
                throw PollTimeout(
                    what: "keel-node to print its addresses", seconds: Poll.scaled(timeout),
                    last: process.output.suffix(5).joined(separator: " | "))
            }
            let token = try String(contentsOfFile: directory + "/api.token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            return NodeProcess(
                directory: directory, process: process, client: NodeClient(endpoint: NodeEndpoint(baseURL: url, token: token)),
                p2pAddress: p2p)
        }
    }

    private init(directory: String, process: ChildProcess, client: NodeClient, p2pAddress: String) {
        self.directory = directory
        self.process = process
        self.client = client
        self.p2pAddress = p2pAddress
    }

    /// Its status, or nil if the API does not answer.
    public func status() -> API.Status? { try? client.status() }

    /// A sample from its `/metrics` (`name{labels}` exactly as printed), or nil.
    public func metric(_ series: String) -> Double? {
        (try? client.metrics()).flatMap { Exposition.value(series, in: $0) }
    }

    /// Resident bytes of process `pid`, from /proc (0 if it is gone).
    public static func rss(_ pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }

    /// Its resident bytes now.
    public var rss: Int { NodeProcess.rss(process.pid) }

    /// CPU seconds it has used so far.
    public var cpuSeconds: Double { Procs.cpuSeconds(process.pid) }

    /// Its tip height (nil if the API does not answer).
    public var height: UInt64? { status()?.height }

    /// Dials `other` through the API (`POST /v1/peers/connect`); returns once the handshake completes.
    public func connect(to other: NodeProcess) throws {
        guard try client.connect(other.p2pAddress) else { throw PollTimeout(what: "a handshake with \(other.p2pAddress)") }
    }

    /// Closes every connection between nodes in `left` and nodes in `right` (through the API, on
    /// both ends) and waits until neither side lists the other. Nodes started with
    /// `--max-outbound 0` stay split; others may dial again.
    public static func split(_ left: [NodeProcess], _ right: [NodeProcess]) async throws {
        for a in left {
            for b in right {
                _ = try a.client.disconnect(b.p2pAddress)
                _ = try b.client.disconnect(a.p2pAddress)
            }
        }
        let done = await Poll.holds(within: 20) {
            left.allSatisfy { a in
                let seen = Set(((try? a.client.peers()) ?? []).compactMap(\.listenAddress))
                return right.allSatisfy { !seen.contains($0.p2pAddress) }
            }
        }
        if !done { throw PollTimeout(what: "the split to take effect") }
    }

    /// SIGTERM, waiting for the exit; returns the exit status.
    @discardableResult
    public func stop(timeout: Double = 20) async -> Int32? {
        process.send(SIGTERM)
        return await process.waitForExit(timeout: timeout)
    }

    /// SIGKILL, waiting for the exit.
    public func kill() async {
        process.send(SIGKILL)
        _ = await process.waitForExit(timeout: 20)
    }

    /// Waits until every node reports the same tip hash.
    public static func waitForTips(_ nodes: [NodeProcess], timeout: Double = 60) async throws {
        let agreed = await Poll.holds(within: timeout, interval: 0.1) {
            let tips = nodes.map { $0.status()?.tip }
            return !tips.contains(nil) && Set(tips).count == 1
        }
        if !agreed {
            throw PollTimeout(what: "tips to agree (heights \(nodes.map { $0.height.map(String.init) ?? "?" }.joined(separator: ", ")))")
        }
    }
}
