/// Evaluates the configured rules against what the supervisor and the sampler know, and
/// returns the notifications to send. A plain value: the caller passes the time, so tests
/// drive every transition without waiting.
public struct AlertEngine: Sendable {
    /// What the rules look at, at one moment.
    public struct Inputs: Sendable {
        /// The node runs and (once health checks have run) answers them.
        public var nodeUp: Bool
        /// The burst limit stopped restarts.
        public var suspended: Bool
        /// Unix times of recent restarts.
        public var restartTimes: [Double]
        /// The sampler's readings, oldest first.
        public var readings: [Sampler.Reading]
        /// Set when the supervisor just saw the node exit: the detail, and its last log lines.
        public var exit: (detail: String, logs: String)?

        /// Creates inputs.
        public init(
            nodeUp: Bool, suspended: Bool = false, restartTimes: [Double] = [], readings: [Sampler.Reading] = [],
            exit: (detail: String, logs: String)? = nil
        ) {
            self.nodeUp = nodeUp
            self.suspended = suspended
            self.restartTimes = restartTimes
            self.readings = readings
            self.exit = exit
        }
    }

    /// The rules, enabled ones only.
    public private(set) var rules: [AlertRule]
    /// Labels added to every alert (`instance`, ...).
    public private(set) var labels: [String: String]
    /// Seconds between repeats of a still-firing alert (0: never).
    public private(set) var repeatInterval: Double
    /// The `generatorURL`.
    public let generatorURL: String
    private var states: [AlertRule.Kind: AlertState] = [:]
    private var annotations: [AlertRule.Kind: [String: String]] = [:]

    /// An engine with every alert inactive.
    public init(rules: [AlertRule], labels: [String: String] = [:], repeatInterval: Double, generatorURL: String) {
        self.rules = rules.filter { $0.enabled && $0.kind != .soakFailed }
        self.labels = labels
        self.repeatInterval = repeatInterval
        self.generatorURL = generatorURL
    }

    /// Takes reloaded rules, labels and repeat interval (SIGHUP), keeping what each alert has
    /// seen. Returns the resolutions to send: for a firing alert whose rule is gone or disabled,
    /// or whose labels change (receivers know it by its labels: it would stay open for good
    /// there); such an alert starts over (pending, then firing under its new labels).
    public mutating func reconfigure(
        rules newRules: [AlertRule], labels newLabels: [String: String], repeatInterval newRepeat: Double,
        now: Double
    ) -> [Alert] {
        let kept = newRules.filter { $0.enabled && $0.kind != .soakFailed }
        var resolutions = [Alert]()
        for rule in rules {
            guard case .firing(let since, _) = states[rule.kind]?.phase else { continue }
            let successor = kept.first { $0.kind == rule.kind }
            let relabelled = newLabels != labels || successor.map { $0.name != rule.name || $0.severity != rule.severity } ?? true
            guard relabelled else { continue }
            let notes = annotations[rule.kind] ?? ["summary": rule.summary, "runbook_url": rule.runbookURL]
            resolutions.append(alert(rule, action: .resolve(startsAt: since, endsAt: now), annotations: notes))
            states[rule.kind] = nil
            annotations[rule.kind] = nil
        }
        for kind in Set(states.keys).subtracting(kept.map(\.kind)) {
            states[kind] = nil
            annotations[kind] = nil
        }
        rules = kept
        labels = newLabels
        repeatInterval = newRepeat
        return resolutions
    }

    /// Names of the alerts firing now.
    public var firing: Set<String> { Set(states.filter { $0.value.isFiring }.map { $0.key.rawValue }) }

    /// One alert that is pending or firing, as the status page lists it.
    public struct Overview: Sendable, Equatable {
        /// The `alertname`.
        public var name: String
        /// The `severity` label.
        public var severity: String
        /// `pending` or `firing`.
        public var state: String
        /// Unix seconds its condition began to hold.
        public var since: Double
        /// The `summary` annotation.
        public var summary: String
        /// The `description` annotation as last evaluated.
        public var description: String
        /// The `runbook_url` annotation.
        public var runbookURL: String

        /// An overview line.
        public init(name: String, severity: String, state: String, since: Double, summary: String, description: String, runbookURL: String) {
            self.name = name
            self.severity = severity
            self.state = state
            self.since = since
            self.summary = summary
            self.description = description
            self.runbookURL = runbookURL
        }
    }

    /// The alerts pending or firing now, firing first, in rule order.
    public var overview: [Overview] {
        let lines = rules.compactMap { rule -> Overview? in
            let state: String, since: Double
            switch states[rule.kind]?.phase {
            case .pending(let s)?: (state, since) = ("pending", s)
            case .firing(let s, _)?: (state, since) = ("firing", s)
            case .inactive?, nil: return nil
            }
            return Overview(
                name: rule.name, severity: rule.severity, state: state, since: since, summary: rule.summary,
                description: annotations[rule.kind]?["description"] ?? "", runbookURL: rule.runbookURL)
        }
        return lines.filter { $0.state == "firing" } + lines.filter { $0.state == "pending" }
    }

    /// Evaluates every rule at `now` (Unix seconds) and returns the alerts to notify.
    public mutating func evaluate(_ inputs: Inputs, now: Double) -> [Alert] {
        var out = [Alert]()
        for rule in rules {
            let (active, description, extra) = condition(rule, inputs, now: now)
            var state = states[rule.kind] ?? AlertState()
            let action = state.evaluate(active: active, now: now, forDuration: rule.forDuration, repeatInterval: repeatInterval)
            states[rule.kind] = state
            if active {
                var notes = ["summary": rule.summary, "description": description, "runbook_url": rule.runbookURL]
                notes.merge(extra) { $1 }
                // An exit's log lines stay with the alert until it resolves.
                if extra["logs"] == nil, let logs = annotations[rule.kind]?["logs"] {
                    notes["logs"] = logs
                    notes["exit"] = annotations[rule.kind]?["exit"]
                }
                annotations[rule.kind] = notes
            }
            guard let action else { continue }
            let notes = annotations[rule.kind] ?? ["summary": rule.summary, "runbook_url": rule.runbookURL]
            out.append(alert(rule, action: action, annotations: notes))
        }
        return out
    }

    /// Every alert firing now, as it was last notified (for re-sending to Alertmanagers).
    public func firingAlerts() -> [Alert] {
        rules.compactMap { rule in
            guard case .firing(let since, _) = states[rule.kind]?.phase else { return nil }
            let notes = annotations[rule.kind] ?? ["summary": rule.summary, "runbook_url": rule.runbookURL]
            return alert(rule, action: .repeatFiring(startsAt: since), annotations: notes)
        }
    }

    /// An alert for an event that is not a rule's condition (a failed soak): firing once.
    public func event(_ rule: AlertRule, description: String, now: Double) -> Alert {
        alert(rule, action: .fire(startsAt: now), annotations: ["summary": rule.summary, "description": description, "runbook_url": rule.runbookURL])
    }

    private func alert(_ rule: AlertRule, action: AlertState.Action, annotations: [String: String]) -> Alert {
        var all = labels
        all["alertname"] = rule.name
        all["severity"] = rule.severity
        switch action {
        case .fire(let startsAt), .repeatFiring(let startsAt):
            return Alert(firing: true, labels: all, annotations: annotations, startsAt: startsAt, endsAt: nil, generatorURL: generatorURL)
        case .resolve(let startsAt, let endsAt):
            var notes = annotations
            notes["logs"] = nil
            notes["exit"] = nil
            return Alert(firing: false, labels: all, annotations: notes, startsAt: startsAt, endsAt: endsAt, generatorURL: generatorURL)
        }
    }

    private func condition(_ rule: AlertRule, _ inputs: Inputs, now: Double) -> (Bool, String, [String: String]) {
        let latest = inputs.readings.last
        let windowed = inputs.readings.filter { $0.time >= now - rule.window }
        func figure(_ value: Double) -> String { value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.3g", value) }
        switch rule.kind {
        case .nodeDown:
            // Pages only while the node stays down: an exit the supervisor fixes within `for`
            // is NodeRestarted's (a warning), not a page.
            return (
                !inputs.nodeUp,
                inputs.exit.map { "The node exited (\($0.detail)) and is not running." } ?? "The node is not running or does not answer /health.", [:]
            )
        case .nodeRestarted:
            let count = inputs.restartTimes.filter { $0 >= now - rule.window }.count
            let exit = inputs.exit.map { ["logs": $0.logs, "exit": $0.detail] } ?? [:]
            return (
                Double(count) >= rule.threshold,
                "The node restarted \(count) time(s) in the last \(SidecarDuration.format(rule.window)); it is running again unless NodeDown fires too.", exit
            )
        case .nodeCrashLooping:
            let count = inputs.restartTimes.filter { $0 >= now - rule.window }.count
            if inputs.suspended {
                return (true, "Restarts stopped at the burst limit after \(count) restart(s) in \(SidecarDuration.format(rule.window)).", [:])
            }
            return (
                Double(count) >= rule.threshold,
                "\(count) restart(s) in the last \(SidecarDuration.format(rule.window)) (threshold \(figure(rule.threshold))).", [:]
            )
        case .memoryGrowthHigh:
            let growth = latest?.rssGrowth ?? 0
            return (
                growth > rule.threshold,
                "Unaccounted RSS (RSS minus the bounded caches) is \(String(format: "%.1f", growth * 100))% over its baseline (threshold \(String(format: "%.1f", rule.threshold * 100))%).",
                [:]
            )
        case .chainHeightStalled:
            // The tip's own timestamp, not how long this process has watched the height: a
            // restart or a gap in scrapes must not look like a stall (nor hide one).
            guard inputs.nodeUp, let tipTime = latest?.tipTime, let height = latest?.height else { return (false, "", [:]) }
            let age = now - tipTime
            let ahead = (latest?.bestPeerHeight ?? 0) - height
            return (
                age > rule.threshold && ahead <= AlertRule.stalledLagBlocks,
                "The newest block (height \(figure(height))) is \(SidecarDuration.format(max(0, age).rounded())) old and no peer is ahead (threshold \(SidecarDuration.format(rule.threshold))).",
                [:]
            )
        case .peersLow:
            guard let peers = latest?.peers else { return (false, "", [:]) }
            return (peers < rule.threshold, "\(figure(peers)) peer(s) connected (minimum \(figure(rule.threshold))).", [:])
        case .miningStopSlow, .propagationSlow:
            guard let first = windowed.first, let last = windowed.last else { return (false, "", [:]) }
            let pick: (Sampler.Reading) -> [(le: Double, count: Double)] = rule.kind == .miningStopSlow ? { $0.miningStop } : { $0.propagation }
            let buckets = windowed.count == 1 ? pick(last) : MetricsText.delta(from: pick(first), to: pick(last))
            guard let p99 = MetricsText.quantile(0.99, buckets: buckets) else { return (false, "", [:]) }
            let what = rule.kind == .miningStopSlow ? "mining stop" : "block propagation"
            return (
                p99 > rule.threshold,
                "p99 \(what) over \(SidecarDuration.format(rule.window)) is \(String(format: "%.3f", p99)) s (threshold \(figure(rule.threshold)) s).", [:]
            )
        case .soakFailed:
            return (false, "", [:])
        }
    }
}
