/// One alert rule from the configuration: what it watches (its name decides that), when it
/// counts as active (`threshold`), how long it must stay active before it fires (`for`), and
/// what the notification says.
public struct AlertRule: Sendable, Equatable {
    /// The alerts the sidecar knows how to evaluate, with what `threshold` means for each.
    public enum Kind: String, Sendable, CaseIterable {
        /// The node is not running or fails its health check (threshold unused). An exit fires
        /// at once, with the node's last log lines attached.
        case nodeDown = "NodeDown"
        /// At least `threshold` restarts within `window`, or the burst limit stopped restarts.
        case nodeCrashLooping = "NodeCrashLooping"
        /// `keel_process_rss_growth_ratio` above `threshold` (unaccounted RSS 0.25 = 25% over its baseline).
        case memoryGrowthHigh = "MemoryGrowthHigh"
        /// `keel_chain_height` unchanged for more than `threshold` seconds.
        case chainHeightStalled = "ChainHeightStalled"
        /// Fewer than `threshold` connected peers.
        case peersLow = "PeersLow"
        /// p99 of `keel_mining_stop_seconds` over `window` above `threshold` seconds.
        case miningStopSlow = "MiningStopSlow"
        /// p99 of `keel_block_propagation_seconds` over `window` above `threshold` seconds.
        case propagationSlow = "PropagationSlow"
        /// A soak run failed (sent by `keel-sidecar soak`, never evaluated).
        case soakFailed = "SoakFailed"

        /// Default threshold, `for`, severity, window and summary.
        var defaults: (threshold: Double, for: Double, severity: String, window: Double, summary: String) {
            switch self {
            case .nodeDown: (1, 30, "critical", 0, "The Keel node is down")
            case .nodeCrashLooping: (3, 0, "critical", 900, "The Keel node keeps crashing")
            case .memoryGrowthHigh: (0.25, 1_800, "warning", 0, "The node's memory keeps growing")
            case .chainHeightStalled: (600, 0, "warning", 0, "The chain height has not moved")
            case .peersLow: (1, 300, "warning", 0, "The node has too few peers")
            case .miningStopSlow: (1, 0, "warning", 900, "Stopping mining is slow")
            case .propagationSlow: (5, 600, "warning", 900, "Blocks reach the node slowly")
            case .soakFailed: (0, 0, "critical", 0, "A soak run failed")
            }
        }
    }

    /// Which alert.
    public var kind: Kind
    /// Whether it is evaluated.
    public var enabled: Bool
    /// The limit; its meaning depends on the kind (see `Kind`).
    public var threshold: Double
    /// Seconds the condition must hold before the alert fires (pending until then).
    public var forDuration: Double
    /// `severity` label: critical, warning or info.
    public var severity: String
    /// Seconds of samples a windowed rule looks at (restarts, quantiles).
    public var window: Double
    /// The `runbook_url` annotation.
    public var runbookURL: String
    /// The `summary` annotation.
    public var summary: String

    /// The name (`alertname` label).
    public var name: String { kind.rawValue }

    /// The rule with its defaults; the runbook link is `runbookBase/<AlertName>.md` (the
    /// repository's `runbook/alerts` unless the configuration names a wiki).
    public static func defaults(_ kind: Kind, runbookBase: String = "runbook/alerts") -> AlertRule {
        let d = kind.defaults
        return AlertRule(kind: kind, enabled: true, threshold: d.threshold, forDuration: d.for, severity: d.severity, window: d.window,
                         runbookURL: runbookBase + "/" + kind.rawValue + ".md", summary: d.summary)
    }
}
