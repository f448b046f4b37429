import Dispatch
import KeelCore
import KeelFiles
import KeelMetrics
import Logging
import ServiceLifecycle

/// Runs a node until graceful shutdown (SIGTERM/SIGINT through the service group): reindexes
/// first if asked (the API is already answering, with 503 on `/ready`), starts mining, takes
/// the RSS baseline when the warm-up ends, then on shutdown stops the miner (waiting for its
/// workers) and closes the store. Under systemd it pings the watchdog from the loop that
/// watches the store, so a node whose store hangs is restarted, and says STOPPING=1 on a stop.
public struct NodeService: Service {
    private let node: Node
    private let logger: Logger
    private let systemd: SystemdNotifier

    /// A service for `node`.
    public init(node: Node, logger: Logger, systemd: SystemdNotifier = SystemdNotifier()) {
        self.node = node
        self.logger = logger
        self.systemd = systemd
    }

    /// Runs until shutdown.
    public func run() async throws {
        if node.chain == nil {
            // Reindexing blocks on RocksDB for as long as it takes: keep it off the
            // cooperative pool so the API stays responsive meanwhile.
            let node = self.node
            try await Blocking.run { try node.reindex() }
        }
        if node.configuration.threads > 0 {
            _ = try node.startMining(threads: node.configuration.threads)
        }
        let metrics = node.metrics
        let warmup = node.configuration.rssWarmup
        // Each task returns whether the node should stop (and why): the warm-up sample does
        // not, the storage watch giving up and graceful shutdown do.
        let failure: (any Error)? = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                await Task.pause(for: .seconds(max(warmup, 0)))
                if !Task.isCancelled, let sample = ProcessSample.read() {
                    metrics.observe(node.memoryAccount(), residentBytes: sample.residentBytes)
                }
                return .carryOn
            }
            let systemd = self.systemd
            group.addTask {
                // Free space, paused writes and their recovery, once a second; the watchdog
                // ping rides on it (a store that hangs stops both).
                let tick = min(1, systemd.watchdogInterval ?? 1)
                var pinged = -Double.infinity
                while !Task.isCancelled {
                    let now = Double(MonotonicTime.now()) / 1e9
                    do {
                        try node.watchStorage(now: now)
                    } catch {
                        return .failed(error)
                    }
                    if let interval = systemd.watchdogInterval, now - pinged >= interval * 0.9 {
                        systemd.watchdog()
                        pinged = now
                    }
                    await Task.pause(for: .seconds(tick))
                }
                return .carryOn
            }
            let logger = self.logger
            group.addTask {
                // The operator's progress line (and systemd's status line), checked each second.
                var progress: NodeProgress?
                while !Task.isCancelled {
                    let now = MonotonicTime.secondsNow()
                    if let snapshot = node.progressSnapshot() {
                        if progress == nil { progress = NodeProgress(now: now, height: snapshot.height) }
                        if let line = progress?.step(snapshot, now: now) {
                            logger.info("\(line)")
                            systemd.status(line)
                        }
                    }
                    await Task.pause(for: .seconds(1))
                }
                return .carryOn
            }
            group.addTask {
                do {
                    try await gracefulShutdown()
                } catch {
                    // Cancelled rather than asked to shut down: the service is ending either way.
                }
                return .stop
            }
            var failure: (any Error)?
            while let outcome = await group.next() {
                if case .carryOn = outcome { continue }
                if case .failed(let error) = outcome { failure = error }
                break
            }
            group.cancelAll()
            return failure
        }
        if let error = failure {
            logger.critical("stopping: the store cannot take writes", metadata: ["error": "\(error)"])
            systemd.stopping(status: "stopping: the store cannot take writes")
            node.shutdown()
            throw error
        }
        logger.info("shutting down")
        systemd.stopping(status: "stopping: the miner, peers and API stop, then the store closes")
        node.shutdown()
        logger.info("stopped cleanly", metadata: ["height": "\(node.chain?.tip.height ?? 0)"])
    }
}

/// How one of `NodeService`'s tasks ended.
private enum Outcome: Sendable {
    case carryOn
    case stop
    case failed(any Error)
}
