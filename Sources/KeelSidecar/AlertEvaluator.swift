import Foundation
import Logging
import Synchronization

/// The glue between what happens and who hears of it: supervisor events and sampler readings
/// go into the `AlertEngine`; the alerts it returns go into the outbox for every receiver.
public final class AlertEvaluator: Sendable {
    private struct State {
        var engine: AlertEngine
        var restartTimes: [Double] = []
        var suspended = false
        var lastResend = 0.0
    }

    let dispatcher: WebhookDispatcher
    let metrics: SidecarMetrics
    let logger: Logger
    let nodeUp: @Sendable () -> Bool
    let readings: @Sendable () -> [Sampler.Reading]
    let crashLogs: @Sendable () -> String
    private let resend: Atomic<UInt64>
    private var resendInterval: Double { Double(bitPattern: resend.load(ordering: .relaxed)) }
    private let state: Mutex<State>

    /// An evaluator over `engine`; `nodeUp`, `readings` and `crashLogs` are read at each
    /// evaluation; firing alerts go to Alertmanager receivers again every `resendInterval` seconds.
    public init(
        engine: AlertEngine, dispatcher: WebhookDispatcher, metrics: SidecarMetrics, logger: Logger, resendInterval: Double = 60,
        nodeUp: @escaping @Sendable () -> Bool, readings: @escaping @Sendable () -> [Sampler.Reading],
        crashLogs: @escaping @Sendable () -> String
    ) {
        state = Mutex(State(engine: engine))
        self.dispatcher = dispatcher
        self.metrics = metrics
        self.logger = logger
        self.nodeUp = nodeUp
        self.readings = readings
        self.crashLogs = crashLogs
        resend = Atomic(resendInterval.bitPattern)
    }

    /// Takes a reloaded `alerts:` section (SIGHUP): rules, labels, repeat and resend intervals.
    /// Firing alerts dropped or relabelled by it are resolved at the receivers first.
    public func reload(_ alerts: SidecarConfiguration.Alerts) {
        let resolutions = state.withLock {
            $0.engine.reconfigure(rules: alerts.rules, labels: alerts.labels, repeatInterval: alerts.repeatInterval, now: Date().timeIntervalSince1970)
        }
        resend.store(alerts.resendInterval.bitPattern, ordering: .relaxed)
        for alert in resolutions { dispatcher.enqueue(alert) }
        metrics.setFiring(firing)
    }

    /// A supervisor event: an exit counts as a restart (NodeRestarted, carrying the exit and the
    /// node's last lines) and makes the node down until it answers again (NodeDown after its
    /// `for`); a crash loop holds NodeCrashLooping active.
    public func handle(_ event: Supervisor.Event) {
        switch event {
        case .down(_, let detail, _):
            evaluate(exit: (detail, crashLogs()), restarted: true)
        case .crashLoop:
            state.withLock { $0.suspended = true }
            evaluate(exit: nil, restarted: false)
        case .started, .stable:
            evaluate(exit: nil, restarted: false)
        }
    }

    /// A periodic evaluation (after each scrape).
    public func tick() { evaluate(exit: nil, restarted: false) }

    /// Names of the alerts firing now.
    public var firing: Set<String> { state.withLock { $0.engine.firing } }

    /// The alerts pending or firing now (the status page's list).
    public var overview: [AlertEngine.Overview] { state.withLock { $0.engine.overview } }

    private func evaluate(exit: (detail: String, logs: String)?, restarted: Bool) {
        let now = Date().timeIntervalSince1970
        let up = exit == nil && nodeUp()
        let window = readings()
        let alerts = state.withLock { state -> [Alert] in
            if restarted { state.restartTimes.append(now) }
            state.restartTimes.removeAll { $0 < now - 86_400 }
            let inputs = AlertEngine.Inputs(nodeUp: up, suspended: state.suspended, restartTimes: state.restartTimes, readings: window, exit: exit)
            let alerts = state.engine.evaluate(inputs, now: now)
            metrics.setFiring(state.engine.firing)
            // Queued under the lock so that a firing is always queued before its resolution.
            for alert in alerts { dispatcher.enqueue(alert) }
            // Alertmanagers forget an alert not re-sent within their resolve_timeout.
            if dispatcher.hasAlertmanagers, now - state.lastResend >= resendInterval {
                state.lastResend = now
                let sent = Set(alerts.map(\.fingerprint))
                for alert in state.engine.firingAlerts() where !sent.contains(alert.fingerprint) { dispatcher.enqueue(alert, resend: true) }
            }
            return alerts
        }
        for alert in alerts {
            metrics.notified(alert.status, receivers: dispatcher.receivers.count)
            let level: Logger.Level = alert.status == "firing" ? .warning : .notice
            logger.log(
                level: level, "alert \(alert.status)",
                metadata: [
                    "alertname": "\(alert.labels["alertname"] ?? "")",
                    "description": "\(alert.annotations["description"] ?? "")",
                ])
        }
    }
}
