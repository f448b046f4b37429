import Foundation
import Yams

/// Everything `keel-sidecar run` is told by its YAML file. Every field has a default; an
/// unknown field or an invalid value is an error naming it (a typo never silently becomes a
/// default).
public struct SidecarConfiguration: Sendable, Equatable {
    /// The supervised node.
    public struct Node: Sendable, Equatable {
        /// The executable (default: `keel-node` beside `keel-sidecar`).
        public var command: String
        /// Its arguments, passed as they are (no shell).
        public var arguments: [String]
        /// Extra environment variables.
        public var environment: [String: String]
        /// The node's data directory, where it writes `api.url` and `api.token`.
        public var dataDirectory: String?
        /// The node's API base URL, if not read from `data_dir/api.url`.
        public var api: String?
        /// Copy the node's output lines to the sidecar's stdout (`make run`, and journald: the
        /// default is on when the sidecar's output goes to the journal, so the node's lines
        /// outlive the sidecar's in-memory buffer).
        public var echo: Bool
    }

    /// Health checks of the node's `/health`.
    public struct Health: Sendable, Equatable {
        /// Whether to check at all (exit detection always runs).
        public var enabled: Bool
        /// Seconds between checks.
        public var interval: Double
        /// Seconds one check may take.
        public var timeout: Double
        /// Consecutive failed checks that count as the node being down.
        public var failures: Int
        /// Seconds after a start before failures count (start-up, reindex).
        public var grace: Double
    }

    /// When and how often to restart.
    public struct Restart: Sendable, Equatable {
        /// First delay before a restart (seconds); doubles per consecutive failure.
        public var initialBackoff: Double
        /// The delay's cap.
        public var maxBackoff: Double
        /// Most starts within `burstWindow`; beyond it the sidecar stops restarting and alerts.
        public var burst: Int
        /// The burst window (seconds).
        public var burstWindow: Double
        /// Seconds of stable running after which the crash count resets.
        public var resetAfter: Double

        /// Creates restart settings.
        public init(initialBackoff: Double, maxBackoff: Double, burst: Int, burstWindow: Double, resetAfter: Double) {
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
            self.burst = burst
            self.burstWindow = burstWindow
            self.resetAfter = resetAfter
        }
    }

    /// The sampler.
    public struct Sampling: Sendable, Equatable {
        /// Seconds between scrapes of the node's `/metrics`.
        public var interval: Double
        /// Seconds of readings kept in memory (the longest rule window).
        public var window: Double
    }

    /// Alerting.
    public struct Alerts: Sendable, Equatable {
        /// Every rule, defaults filled in (disabled ones included).
        public var rules: [AlertRule]
        /// Labels added to every alert (`instance: node-1`).
        public var labels: [String: String]
        /// Seconds between repeats of a still-firing alert (0: never).
        public var repeatInterval: Double
        /// Seconds between re-sends of firing alerts to `alertmanager-api` receivers (as
        /// Prometheus's `--rules.alert.resend-delay`, 1 m); Alertmanager drops an alert that is
        /// not re-sent within its `resolve_timeout`.
        public var resendInterval: Double = 60
    }

    /// How to run and restart the node.
    public var node: Node
    /// The sampler.
    public var sampling: Sampling
    /// Alert rules.
    public var alerts: Alerts
    /// Webhook receivers (none: alerts are only logged and counted).
    public var receivers: [WebhookReceiver]
    /// Delivery retries.
    public var delivery: DeliveryPolicy
    /// Health checks.
    public var health: Health
    /// Restart policy.
    public var restart: Restart
    /// Seconds between SIGTERM and SIGKILL when stopping the node.
    public var stopTimeout: Double
    /// The token `/logs` requires (`logs.token_file`), or nil: open to whoever reaches `listen`.
    /// The node's lines name peers' addresses and user agents, so a sidecar listening beyond
    /// loopback should set one.
    public var logsToken: String?
    /// Lines kept per stream (stdout, stderr).
    public var logLines: Int
    /// The sidecar's own `/health` and `/metrics` address.
    public var listenHost: String, listenPort: Int
    /// Where the sidecar keeps its state (outbox, soak reports, `sidecar.url`).
    public var stateDirectory: String

    /// The defaults, with the node command beside `executableDirectory`.
    public static func defaults(executableDirectory: String) -> SidecarConfiguration {
        SidecarConfiguration(
            node: Node(
                command: executableDirectory + "/keel-node", arguments: [], environment: [:], dataDirectory: nil, api: nil,
                echo: outputGoesToJournal),
            sampling: Sampling(interval: 5, window: 3_600),
            alerts: Alerts(rules: AlertRule.Kind.allCases.map { AlertRule.defaults($0) }, labels: [:], repeatInterval: 14_400),
            receivers: [], delivery: DeliveryPolicy(),
            health: Health(enabled: true, interval: 5, timeout: 2, failures: 3, grace: 60),
            restart: Restart(initialBackoff: 1, maxBackoff: 60, burst: 5, burstWindow: 600, resetAfter: 3_600),
            stopTimeout: 10, logLines: 1_000, listenHost: "127.0.0.1", listenPort: 9_335, stateDirectory: ".keel-sidecar")
    }

    /// Whether this process's output goes to systemd's journal (systemd sets `JOURNAL_STREAM`
    /// for a unit whose stdout or stderr is the journal).
    public static var outputGoesToJournal: Bool { ProcessInfo.processInfo.environment["JOURNAL_STREAM"] != nil }

    /// Reads `path`; relative paths inside are taken from the current directory.
    public static func load(path: String, executableDirectory: String) throws -> SidecarConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SidecarError(.configuration, "cannot read the configuration file \(path)")
        }
        do {
            return try parse(yaml: String(decoding: data, as: UTF8.self), executableDirectory: executableDirectory)
        } catch let error as SidecarError {
            throw SidecarError(.configuration, "\(path): \(error.message)", cause: error.cause)
        }
    }

    /// Parses a configuration document.
    public static func parse(yaml: String, executableDirectory: String) throws -> SidecarConfiguration {
        let root: Yams.Node?
        do { root = try Yams.compose(yaml: yaml) } catch {
            throw SidecarError(.configuration, "not valid YAML: \(error)")
        }
        var config = defaults(executableDirectory: executableDirectory)
        guard let root else { return config }  // an empty file: all defaults
        let top = try Section(path: "", node: root)

        if let node = try top.section("node") {
            config.node.command = try node.string("command") ?? config.node.command
            config.node.arguments = try node.strings("arguments") ?? []
            config.node.environment = try node.stringMap("environment") ?? [:]
            config.node.dataDirectory = try node.string("data_dir")
            config.node.api = try node.string("api")
            config.node.echo = try node.bool("echo") ?? config.node.echo
            try node.finish()
        }
        if let health = try top.section("health") {
            config.health.enabled = try health.bool("enabled") ?? true
            config.health.interval = try health.duration("interval", positive: true) ?? config.health.interval
            config.health.timeout = try health.duration("timeout", positive: true) ?? config.health.timeout
            config.health.failures = try health.int("failures", in: 1...1_000) ?? config.health.failures
            config.health.grace = try health.duration("grace") ?? config.health.grace
            try health.finish()
        }
        if let restart = try top.section("restart") {
            config.restart.initialBackoff = try restart.duration("initial_backoff", positive: true) ?? config.restart.initialBackoff
            config.restart.maxBackoff = try restart.duration("max_backoff", positive: true) ?? config.restart.maxBackoff
            config.restart.burst = try restart.int("burst", in: 1...10_000) ?? config.restart.burst
            config.restart.burstWindow = try restart.duration("burst_window", positive: true) ?? config.restart.burstWindow
            config.restart.resetAfter = try restart.duration("reset_after", positive: true) ?? config.restart.resetAfter
            try restart.finish()
            if config.restart.maxBackoff < config.restart.initialBackoff {
                throw SidecarError(.configuration, "restart.max_backoff is below restart.initial_backoff")
            }
        }
        if let sampler = try top.section("sampler") {
            config.sampling.interval = try sampler.duration("interval", positive: true) ?? config.sampling.interval
            config.sampling.window = try sampler.duration("window", positive: true) ?? config.sampling.window
            try sampler.finish()
        }
        if let alerts = try top.section("alerts") {
            try parseAlerts(alerts, into: &config)
        }
        if let receivers = try top.sections("receivers") {
            config.receivers = try receivers.enumerated().map { try parseReceiver($0.element, index: $0.offset) }
            let names = config.receivers.map(\.name)
            if let duplicate = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
                throw SidecarError(.configuration, "receivers: the name '\(duplicate)' is used twice")
            }
        }
        if let delivery = try top.section("delivery") {
            config.delivery.initialBackoff = try delivery.duration("initial_backoff", positive: true) ?? config.delivery.initialBackoff
            config.delivery.maxBackoff = try delivery.duration("max_backoff", positive: true) ?? config.delivery.maxBackoff
            config.delivery.maxAge = try delivery.duration("max_age", positive: true) ?? config.delivery.maxAge
            try delivery.finish()
        }
        if let stop = try top.section("stop") {
            config.stopTimeout = try stop.duration("timeout", positive: true) ?? config.stopTimeout
            try stop.finish()
        }
        if let logs = try top.section("logs") {
            config.logLines = try logs.int("lines", in: 1...1_000_000) ?? config.logLines
            if let file = try logs.string("token_file") { config.logsToken = try readSecret(file, field: "logs.token_file") }
            try logs.finish()
        }
        if let listen = try top.string("listen") {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port),
                colon > listen.startIndex
            else {
                throw SidecarError(.configuration, "listen: '\(listen)' is not HOST:PORT")
            }
            config.listenHost = String(listen[..<colon])
            config.listenPort = port
        }
        config.stateDirectory = try top.string("state_dir") ?? config.stateDirectory
        try top.finish()
        return config
    }
}
