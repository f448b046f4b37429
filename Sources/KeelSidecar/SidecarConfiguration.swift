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
        /// Its arguments.
        public var arguments: [String]
        /// Extra environment variables.
        public var environment: [String: String]
        /// The node's data directory, where it writes `api.url` and `api.token`.
        public var dataDirectory: String?
        /// The node's API base URL, if not read from `data_dir/api.url`.
        public var api: String?
        /// Copy the node's output lines to the sidecar's stdout (for `make run`).
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
    }

    /// The node.
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
    /// Lines kept per stream (stdout, stderr).
    public var logLines: Int
    /// The sidecar's own `/health` and `/metrics` address.
    public var listenHost: String, listenPort: Int
    /// Where the sidecar keeps its state (outbox, soak reports, `sidecar.url`).
    public var stateDirectory: String

    /// The defaults, with the node command beside `executableDirectory`.
    public static func defaults(executableDirectory: String) -> SidecarConfiguration {
        SidecarConfiguration(
            node: Node(command: executableDirectory + "/keel-node", arguments: [], environment: [:], dataDirectory: nil, api: nil, echo: false),
            sampling: Sampling(interval: 5, window: 3_600),
            alerts: Alerts(rules: AlertRule.Kind.allCases.map { AlertRule.defaults($0) }, labels: [:], repeatInterval: 14_400),
            receivers: [], delivery: DeliveryPolicy(),
            health: Health(enabled: true, interval: 5, timeout: 2, failures: 3, grace: 60),
            restart: Restart(initialBackoff: 1, maxBackoff: 60, burst: 5, burstWindow: 600, resetAfter: 3_600),
            stopTimeout: 10, logLines: 1_000, listenHost: "127.0.0.1", listenPort: 9_335, stateDirectory: ".keel-sidecar")
    }

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
        guard let root else { return config } // an empty file: all defaults
        let top = try Section(path: "", node: root)

        if let node = try top.section("node") {
            config.node.command = try node.string("command") ?? config.node.command
            config.node.arguments = try node.strings("arguments") ?? []
            config.node.environment = try node.stringMap("environment") ?? [:]
            config.node.dataDirectory = try node.string("data_dir")
            config.node.api = try node.string("api")
            config.node.echo = try node.bool("echo") ?? false
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
            try logs.finish()
        }
        if let listen = try top.string("listen") {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port),
                  colon > listen.startIndex else {
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

extension SidecarConfiguration.Node {
    /// The node's API base URL: configured, or read from the `api.url` the node writes into
    /// its data directory at start (so port 0 works); nil until known.
    public func apiBase() -> String? {
        if let api { return api }
        guard let dir = dataDirectory, let text = try? String(contentsOfFile: dir + "/api.url", encoding: .utf8) else { return nil }
        let url = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return url.isEmpty ? nil : url
    }
}

extension SidecarConfiguration {
    static func parseAlerts(_ alerts: Section, into config: inout SidecarConfiguration) throws {
        config.alerts.repeatInterval = try alerts.duration("repeat_interval") ?? config.alerts.repeatInterval
        config.alerts.labels = try alerts.stringMap("labels") ?? [:]
        if let base = try alerts.string("runbook_base") {
            config.alerts.rules = AlertRule.Kind.allCases.map { AlertRule.defaults($0, runbookBase: base) }
        }
        if let rules = try alerts.section("rules") {
            for key in try rules.keys() {
                guard let kind = AlertRule.Kind(rawValue: key) else {
                    throw SidecarError(.configuration, "alerts.rules: unknown alert '\(key)' (known: \(AlertRule.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                guard let rule = try rules.section(key), let index = config.alerts.rules.firstIndex(where: { $0.kind == kind }) else { continue }
                var r = config.alerts.rules[index]
                r.enabled = try rule.bool("enabled") ?? r.enabled
                r.threshold = try rule.double("threshold") ?? r.threshold
                r.forDuration = try rule.duration("for") ?? r.forDuration
                r.window = try rule.duration("window", positive: true) ?? r.window
                if let severity = try rule.string("severity") {
                    guard ["critical", "warning", "info"].contains(severity) else {
                        throw SidecarError(.configuration, "alerts.rules.\(key).severity must be critical, warning or info")
                    }
                    r.severity = severity
                }
                r.runbookURL = try rule.string("runbook_url") ?? r.runbookURL
                r.summary = try rule.string("summary") ?? r.summary
                try rule.finish()
                config.alerts.rules[index] = r
            }
            try rules.finish()
        }
        try alerts.finish()
    }

    static func parseReceiver(_ section: Section, index: Int) throws -> WebhookReceiver {
        let name = try section.string("name") ?? "receiver-\(index + 1)"
        let url: String
        if let inline = try section.string("url") {
            url = inline
        } else if let file = try section.string("url_file") {
            url = try readSecret(file, field: section.path + ".url_file")
        } else {
            throw SidecarError(.configuration, "\(section.path): a receiver needs url or url_file")
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            // The URL itself is a secret: only its field is named.
            throw SidecarError(.configuration, "\(section.path).url must start with http:// or https://")
        }
        var secret = try section.string("secret")
        if let file = try section.string("secret_file") {
            guard secret == nil else { throw SidecarError(.configuration, "\(section.path): give secret or secret_file, not both") }
            secret = try readSecret(file, field: section.path + ".secret_file")
        }
        var format = WebhookReceiver.Format.alertmanager
        if let text = try section.string("format") {
            guard let f = WebhookReceiver.Format(rawValue: text) else {
                throw SidecarError(.configuration, "\(section.path).format must be alertmanager or slack")
            }
            format = f
        }
        let timeout = try section.duration("timeout", positive: true) ?? 5
        try section.finish()
        return WebhookReceiver(name: name, url: url, secret: secret, format: format, timeout: timeout)
    }

    /// Reads a secret kept outside the configuration (so the file can be shared).
    static func readSecret(_ path: String, field: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SidecarError(.configuration, "\(field): cannot read \(path)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw SidecarError(.configuration, "\(field): \(path) is empty") }
        return text
    }
}

/// One mapping of the YAML document, remembering which keys were read so that `finish()` can
/// name the ones nobody asked for.
struct Section {
    let path: String
    let mapping: Yams.Node.Mapping
    private let read = Box()

    final class Box { var keys = Set<String>() }

    init(path: String, node: Yams.Node) throws {
        guard let mapping = node.mapping else {
            throw SidecarError(.configuration, "\(path.isEmpty ? "the document" : "'\(path)'") must be a mapping of fields")
        }
        self.path = path
        self.mapping = mapping
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    private func value(_ key: String) -> Yams.Node? {
        read.keys.insert(key)
        guard let node = mapping[key] else { return nil }
        if node.null != nil { return nil }
        return node
    }

    func sections(_ key: String) throws -> [Section]? {
        guard let node = value(key) else { return nil }
        guard let sequence = node.sequence else { throw SidecarError(.configuration, "\(name(key)) must be a list") }
        return try sequence.enumerated().map { try Section(path: "\(name(key))[\($0.offset)]", node: $0.element) }
    }

    /// Every key of this mapping, marked read (the caller validates them).
    func keys() throws -> [String] {
        try mapping.map { key, _ in
            guard let text = key.string else { throw SidecarError(.configuration, "a key in \(path) is not text") }
            return text
        }
    }

    func section(_ key: String) throws -> Section? {
        guard let node = value(key) else { return nil }
        return try Section(path: name(key), node: node)
    }

    func string(_ key: String) throws -> String? {
        guard let node = value(key) else { return nil }
        guard node.scalar != nil, let text = node.string else { throw SidecarError(.configuration, "\(name(key)) must be text") }
        return text
    }

    func strings(_ key: String) throws -> [String]? {
        guard let node = value(key) else { return nil }
        guard let sequence = node.sequence else { throw SidecarError(.configuration, "\(name(key)) must be a list") }
        return try sequence.map { item in
            guard item.scalar != nil, let text = item.string else { throw SidecarError(.configuration, "\(name(key)) must be a list of text") }
            return text
        }
    }

    func stringMap(_ key: String) throws -> [String: String]? {
        guard let node = value(key) else { return nil }
        guard let map = node.mapping else { throw SidecarError(.configuration, "\(name(key)) must be a mapping") }
        var result = [String: String]()
        for (k, v) in map {
            guard let name = k.string, let text = v.string else { throw SidecarError(.configuration, "\(self.name(key)) must map text to text") }
            result[name] = text
        }
        return result
    }

    func bool(_ key: String) throws -> Bool? {
        guard let node = value(key) else { return nil }
        guard let flag = node.bool else { throw SidecarError(.configuration, "\(name(key)) must be true or false") }
        return flag
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let node = value(key) else { return nil }
        guard let number = node.int, range.contains(number) else {
            throw SidecarError(.configuration, "\(name(key)) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func double(_ key: String) throws -> Double? {
        guard let node = value(key) else { return nil }
        guard let number = node.float ?? node.int.map(Double.init), number.isFinite else {
            throw SidecarError(.configuration, "\(name(key)) must be a number")
        }
        return number
    }

    func duration(_ key: String, positive: Bool = false) throws -> Double? {
        guard let node = value(key) else { return nil }
        guard let text = node.string, let seconds = SidecarDuration.seconds(text), !positive || seconds > 0 else {
            throw SidecarError(.configuration, "\(name(key)) must be a duration like 500ms, 5s, 10m, 1h or 7d\(positive ? " (above zero)" : "")")
        }
        return seconds
    }

    /// Fails on any key that was never read: a misspelt field must not become a default.
    func finish() throws {
        let known = read.keys
        for (key, _) in mapping {
            guard let text = key.string else { throw SidecarError(.configuration, "a key in \(path.isEmpty ? "the document" : path) is not text") }
            if !known.contains(text) {
                throw SidecarError(.configuration, "unknown field '\(name(text))' (fields here: \(known.sorted().joined(separator: ", ")))")
            }
        }
    }
}
