import CKeelSupport
import Foundation
import KeelClient
import KeelCore
import KeelFiles
import Logging
import ServiceLifecycle
import Synchronization

/// Runs the node and keeps it running: starts it in its own process group, reaps every child,
/// detects exits and failed health checks, restarts with backoff until the burst limit, and on
/// the sidecar's own shutdown stops the node with SIGTERM, then SIGKILL after the stop timeout.
public final class Supervisor: Service, Sendable {
    /// What the supervisor is doing.
    public enum Phase: String, Sendable {
        /// Starting the node.
        case starting
        /// The node runs.
        case running
        /// Waiting before a restart.
        case backoff
        /// The burst limit was hit: no more restarts until the sidecar restarts.
        case suspended
        /// Stopping the node.
        case stopping
        /// Stopped (the sidecar is shutting down).
        case stopped
    }

    /// Something an operator (and the alerting) should hear about.
    public enum Event: Sendable, Equatable {
        /// The node started (pid).
        case started(pid: Int32)
        /// The node went down; it will be restarted after `restartIn` seconds, or not (nil).
        case down(reason: String, detail: String, restartIn: Double?)
        /// Restarts stopped: the node is crash-looping.
        case crashLoop(detail: String)
        /// The node has run stable long enough; earlier crashes are forgotten.
        case stable
    }

    /// A snapshot for `/health` and tests.
    public struct Status: Sendable, Equatable {
        /// What the supervisor is doing with the node now.
        public let phase: Phase
        /// The node's pid while it runs.
        public let pid: Int32?
        /// Restarts since the sidecar started.
        public let restarts: Int
        /// How the node last went down.
        public let lastExit: String?
        /// Whether the last health check passed.
        public let healthy: Bool
        /// Seconds since the node last started, while it runs.
        public let uptime: Double?
        /// How the node went down, newest first (the last `Supervisor.exitsKept`).
        public let exits: [Exit]
        /// Unix seconds of the next restart, while backing off.
        public let restartAt: Double?
    }

    /// One time the node went down.
    public struct Exit: Sendable, Equatable {
        /// Unix seconds.
        public let time: Double
        /// The restart reason label (`crash`, `exit`, `unhealthy`, `spawn_failed`).
        public let reason: String
        /// How it ended, in words.
        public let detail: String
    }

    /// Exits remembered for the status page.
    public static let exitsKept = 10

    /// The node part of `sidecar.yaml` as loaded at start: a reload does not change how the node runs.
    public let configuration: SidecarConfiguration
    /// The node's last stdout lines.
    public let stdout: LogBuffer
    /// The node's last stderr lines.
    public let stderr: LogBuffer
    /// The sidecar's metrics.
    public let metrics: SidecarMetrics
    let reaper = Reaper()
    let logger: Logger
    let onEvent: @Sendable (Event) -> Void
    let startGate: StartGate
    private struct State {
        var phase = Phase.starting
        var pid: Int32?
        var restarts = 0
        var exits: [Exit] = []
        var healthy = false
        /// Monotonic seconds.
        var startedAt = 0.0
        /// Unix seconds.
        var restartAt: Double?
    }
    private let state = Mutex(State())

    /// A supervisor for `configuration`; `onEvent` hears starts, downs and crash loops. The node
    /// is started once `startGate` opens.
    public init(
        configuration: SidecarConfiguration, metrics: SidecarMetrics, logger: Logger, startGate: StartGate = StartGate(open: true),
        onEvent: @escaping @Sendable (Event) -> Void = { _ in }
    ) {
        self.startGate = startGate
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.onEvent = onEvent
        stdout = LogBuffer(capacity: configuration.logLines)
        stderr = LogBuffer(capacity: configuration.logLines)
    }

    /// The current state.
    public var status: Status {
        let now = Monotonic.seconds()
        return state.withLock { s in
            Status(
                phase: s.phase, pid: s.pid, restarts: s.restarts, lastExit: s.exits.first?.detail, healthy: s.healthy,
                uptime: s.phase == .running ? now - s.startedAt : nil, exits: s.exits, restartAt: s.phase == .backoff ? s.restartAt : nil)
        }
    }

    /// Whether the node counts as up for alerting: running, and answering its health check
    /// (or still inside the start-up grace period, or health checks are off).
    public var nodeUp: Bool {
        let health = configuration.health
        return state.withLock { s in
            s.phase == .running && (s.healthy || !health.enabled || Monotonic.seconds() - s.startedAt < health.grace)
        }
    }

    /// Children reaped so far.
    public var reapedCount: Int { reaper.reaped }

    /// Supervises until graceful shutdown, then stops the node and returns.
    public func run() async throws {
        if keel_set_child_subreaper() != 0 {
            logger.warning("could not become a child subreaper; orphaned grandchildren of the node will be reaped by init")
        }
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    self.reaper.poll()
                    await Task.pause(for: .milliseconds(20))
                }
            }
            await self.superviseLoop()
            group.cancelAll()
        }
        reaper.poll()
    }

    private func setPhase(_ phase: Phase) { state.withLock { $0.phase = phase } }

    private var shuttingDown: Bool { Task.isShuttingDownGracefully || Task.isCancelled }

    private func superviseLoop() async {
        var policy = RestartPolicy(settings: configuration.restart)
        while !startGate.isOpen, !shuttingDown { await Task.pause(for: .milliseconds(10)) }
        while !shuttingDown {
            setPhase(.starting)
            let reason: String, detail: String
            do {
                let child = try NodeChild.spawn(
                    command: configuration.node.command, arguments: configuration.node.arguments,
                    environment: configuration.node.environment, stdout: stdout, stderr: stderr,
                    echo: configuration.node.echo)
                policy.started(at: child.startedAt)
                metrics.starts.increment()
                state.withLock {
                    $0.phase = .running
                    $0.pid = child.pid
                    $0.healthy = false
                    $0.startedAt = child.startedAt
                }
                logger.info("node started", metadata: ["pid": "\(child.pid)", "command": "\(configuration.node.command)"])
                onEvent(.started(pid: child.pid))
                let outcome = await watch(child, policy: policy)
                state.withLock {
                    $0.pid = nil
                    $0.healthy = false
                }
                metrics.nodeUp.set(to: 0)
                switch outcome {
                case .shutdown:
                    setPhase(.stopping)
                    let how = await stop(child)
                    logger.info("node stopped", metadata: ["how": "\(how)"])
                    setPhase(.stopped)
                    return
                case .exited(let status):
                    (detail, reason) = ExitDescription.describe(status)
                case .unhealthy(let why):
                    let how = await stop(child)
                    reason = "unhealthy"
                    detail = "\(why); stopped it (\(how))"
                }
            } catch {
                reason = "spawn_failed"
                detail = "\(error)"
            }
            metrics.restarted(reason)
            let decision = policy.failed(at: Monotonic.seconds())
            let exit = Exit(time: Date().timeIntervalSince1970, reason: reason, detail: detail)
            state.withLock {
                $0.restarts += 1
                $0.exits.insert(exit, at: 0)
                if $0.exits.count > Supervisor.exitsKept { $0.exits.removeLast() }
            }
            switch decision {
            case .restart(let delay):
                logger.error("node down; restarting", metadata: ["reason": "\(reason)", "detail": "\(detail)", "restart_in_s": "\(delay)"])
                onEvent(.down(reason: reason, detail: detail, restartIn: delay))
                state.withLock {
                    $0.restartAt = Date().timeIntervalSince1970 + delay
                    $0.phase = .backoff
                }
                await sleep(delay)
            case .giveUp(let why):
                logger.critical("node is crash-looping; restarts stopped", metadata: ["reason": "\(reason)", "detail": "\(detail)", "limit": "\(why)"])
                onEvent(.down(reason: reason, detail: detail, restartIn: nil))
                onEvent(.crashLoop(detail: "\(detail); \(why)"))
                metrics.suspended.set(to: 1)
                setPhase(.suspended)
                while !shuttingDown { await sleep(0.2) }
                setPhase(.stopped)
                return
            }
        }
        setPhase(.stopped)
    }

    enum Outcome {
        case exited(Int32)
        case unhealthy(String)
        case shutdown
    }

    /// Waits until the node exits, fails its health checks, or the sidecar shuts down.
    private func watch(_ child: NodeChild, policy: RestartPolicy) async -> Outcome {
        let health = HealthTracker()
        return await withTaskGroup(of: Void.self) { group in
            if configuration.health.enabled {
                group.addTask { await self.checkHealth(of: child, into: health) }
            }
            defer { group.cancelAll() }
            var announcedStable = false
            while true {
                if let status = reaper.takeStatus(of: child.pid) { return .exited(status) }
                // Orphans the node left (re-parented to us) are reaped; nobody asks for their status.
                reaper.forget(except: child.pid)
                if shuttingDown { return .shutdown }
                if let failure = health.failure { return .unhealthy(failure) }
                if !announcedStable, policy.isStable(at: Monotonic.seconds()) {
                    announcedStable = true
                    onEvent(.stable)
                }
                await Task.pause(for: .milliseconds(20))
            }
        }
    }

    final class HealthTracker: Sendable {
        private let state = Mutex<String?>(nil)
        var failure: String? { state.withLock { $0 } }
        func fail(_ why: String) { state.withLock { $0 = why } }
    }

    /// Checks `/health` every interval; after the grace period, `failures` failed checks in a
    /// row mark the node unhealthy.
    private func checkHealth(of child: NodeChild, into tracker: HealthTracker) async {
        let settings = configuration.health
        // One client for every check, so each reuses the last one's connection.
        let client = HTTPClient(connectTimeout: settings.timeout, timeout: settings.timeout)
        var failures = 0
        while !Task.isCancelled {
            let url = healthURL()
            let ok: Bool
            if let url {
                ok = await Blocking.run {
                    do {
                        return try client.request("GET", url).status == 200
                    } catch {
                        return false  // no answer is a failed check: counted below, and restarts after `failures`
                    }
                }
            } else {
                ok = false
            }
            guard !Task.isCancelled else { return }
            metrics.checked(ok: ok)
            state.withLock { $0.healthy = ok }
            metrics.nodeUp.set(to: ok ? 1 : 0)
            let inGrace = Monotonic.seconds() - child.startedAt < settings.grace
            failures = ok ? 0 : failures + 1
            if !ok, !inGrace, failures >= settings.failures {
                tracker.fail("\(failures) health checks failed in a row (\(url ?? "no API address yet"))")
                return
            }
            await Task.pause(for: .milliseconds(Int64(settings.interval * 1000)))
        }
    }

    /// The node's `/health` URL: configured, or from the address the node wrote.
    func healthURL() -> String? { configuration.node.apiBase().map { $0 + "/health" } }

    /// SIGTERM to the node's group, SIGKILL after the stop timeout; returns how it ended.
    func stop(_ child: NodeChild) async -> String {
        let timeout = configuration.stopTimeout
        let (status, killed) = await child.terminate(gracePeriod: timeout, reaper: reaper) {
            logger.warning("node ignored SIGTERM; sending SIGKILL", metadata: ["pid": "\(child.pid)", "after_s": "\(timeout)"])
        }
        guard let status else { return "SIGKILL sent; the process has not exited" }
        return (killed ? "SIGKILL after \(SidecarDuration.format(timeout)): " : "SIGTERM: ") + ExitDescription.describe(status).text
    }

    /// Sleeps `seconds`, waking early on shutdown.
    private func sleep(_ seconds: Double) async { await Monotonic.sleep(seconds) { shuttingDown } }
}
