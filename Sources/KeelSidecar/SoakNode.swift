import Foundation
import KeelClient

/// A dev node started for a soak: its own data directory, loopback ports chosen by the kernel,
/// reaped when it exits, stopped with SIGTERM (SIGKILL after 10 s) when the soak ends.
final class SoakNode: Sendable {
    let child: NodeChild
    let client: NodeClient
    let stdout = LogBuffer(capacity: 200)
    let stderr = LogBuffer(capacity: 200)
    private let reaper = Reaper()

    var pid: Int32 { child.pid }

    /// Starts `command --dev` with `arguments` and waits until its `/health` answers.
    init(command: String, dataDirectory: String, arguments: [String]) async throws {
        let args = ["--dev", "--data-dir", dataDirectory, "--api-addr", "127.0.0.1:0", "--p2p-addr", "127.0.0.1:0", "--no-listen"] + arguments
        child = try NodeChild.spawn(command: command, arguments: args, environment: [:], stdout: stdout, stderr: stderr, echo: false)
        let deadline = Monotonic.seconds() + 60
        while Monotonic.seconds() < deadline {
            if let status = reaper.exitStatus(of: child.pid) {
                throw SidecarError(
                    .soakFailed, "the node exited while starting (\(ExitDescription.describe(status).text)): \(stderr.lines(last: 5).joined(separator: " | "))")
            }
            // api.url appears once the API listens; until then there is nothing to ask.
            if FileManager.default.fileExists(atPath: dataDirectory + "/api.url") {
                let endpoint = try NodeEndpoint.resolve(dataDirectory: dataDirectory, api: nil, tokenFile: nil)
                if SoakNode.answersHealth(endpoint.baseURL) {
                    client = NodeClient(endpoint: endpoint, http: HTTPClient(connectTimeout: 2, timeout: 30))
                    return
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        child.signalGroup(SIGKILL)
        throw SidecarError(.soakFailed, "the node did not answer /health within 60 s")
    }

    /// Why the node is gone, or nil while it runs.
    func exited() -> String? { reaper.exitStatus(of: child.pid).map { ExitDescription.describe($0).text } }

    /// One scrape of the node's metrics.
    func scrape() async throws -> MetricsText {
        var http = client.http
        http.timeout = 10
        return try await Sampler.scrape(client.endpoint.baseURL + "/metrics", with: http)
    }

    /// Whether the node at `base` answers `/health` with 200 (not yet, while it starts).
    static func answersHealth(_ base: String) -> Bool {
        do {
            return try HTTPClient(connectTimeout: 1, timeout: 2).request("GET", base + "/health").status == 200
        } catch {
            return false  // not listening yet, or busy starting: asked again in 100 ms
        }
    }

    /// Threads, open fds and RSS bytes, read from /proc; nil once the process is gone.
    func resources() -> (threads: Int, fds: Int, rss: Double)? {
        let status: String, fds: Int
        do {
            status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            fds = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
        } catch {
            return nil  // exited between samples: the loop sees the exit next
        }
        func field(_ name: String) -> Double? {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .flatMap { Double($0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") }
        }
        guard let threads = field("Threads"), let rssKiB = field("VmRSS") else { return nil }
        return (Int(threads), fds, rssKiB * 1_024)
    }

    /// SIGTERM, then SIGKILL after 10 s.
    func stop() async { _ = await child.terminate(gracePeriod: 10, reaper: reaper) }
}
