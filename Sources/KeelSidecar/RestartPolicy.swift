/// When to restart a node that stopped or went unhealthy: exponential backoff from
/// `initialBackoff` to `maxBackoff`, at most `burst` starts within `burstWindow` (then give up
/// and alert), and a clean slate after `resetAfter` of stable running. Plain state driven by
/// the caller's clock (seconds), so tests step through it without waiting.
public struct RestartPolicy: Sendable, Equatable {
    /// What to do after a failure.
    public enum Decision: Sendable, Equatable {
        /// Start again after this many seconds.
        case restart(after: Double)
        /// Stop restarting: the node is crash-looping.
        case giveUp(reason: String)
    }

    /// The backoff and crash-loop limits from `sidecar.yaml`.
    public let settings: SidecarConfiguration.Restart
    /// Start times within the burst window.
    public private(set) var starts: [Double] = []
    /// Failures since the last stable run.
    public private(set) var consecutiveFailures = 0
    private var lastStart: Double?

    /// A policy with `settings`.
    public init(settings: SidecarConfiguration.Restart) { self.settings = settings }

    /// The node was started at `now`.
    public mutating func started(at now: Double) {
        starts.append(now)
        starts.removeAll { $0 <= now - settings.burstWindow }
        lastStart = now
    }

    /// Whether the current run has been up long enough to forget earlier crashes.
    public func isStable(at now: Double) -> Bool { lastStart.map { now - $0 >= settings.resetAfter } ?? false }

    /// The node failed at `now` (exited, or stopped answering health checks).
    public mutating func failed(at now: Double) -> Decision {
        if isStable(at: now) { consecutiveFailures = 0 }
        consecutiveFailures += 1
        starts.removeAll { $0 <= now - settings.burstWindow }
        if starts.count >= settings.burst {
            return .giveUp(reason: "\(starts.count) starts within \(SidecarDuration.format(settings.burstWindow)) (restart.burst is \(settings.burst))")
        }
        let exponent = min(consecutiveFailures - 1, 30)
        let delay = min(settings.initialBackoff * Double(1 << exponent), settings.maxBackoff)
        return .restart(after: delay)
    }
}
