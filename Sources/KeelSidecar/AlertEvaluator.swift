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
    }

    let dispatcher: WebhookDispatcher
    let metrics: SidecarMetrics
    let logger: Logger
    let nodeUp: @Sendable () -> Bool
    let readings: @Sendable () -> [Sampler.Reading]
    let crashLogs: @Sendable () -> String
    private let state: Mutex<State>

    /// An evaluator over `engine`; `nodeUp`, `readings` and `crashLogs` are read at each evaluation.
    public init(engine: AlertEngine, dispatcher: WebhookDispatcher, metrics: SidecarMetrics, logger: Logger,
                nodeUp: @escaping @Sendable () -> Bool, readings: @escaping @Sendable () -> [Sampler.Reading],
                crashLogs: @escaping @Sendable () -> String) {
        state = Mutex(State(engine: engine))
        self.dispatcher = dispatcher
        self.metrics = metrics
        self.logger = logger
        self.nodeUp = nodeUp
        self.readings = readings
        self.crashLogs = crashLogs
    }

    /// A supervisor event: an exit fires NodeDown at once with the node's last lines; a crash
    /// loop fires NodeCrashLooping.
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
            return alerts
        }
        for alert in alerts {
            metrics.notified(alert.status, receivers: dispatcher.receivers.count)
            let level: Logger.Level = alert.status == "firing" ? .warning : .notice
            logger.log(level: level, "alert \(alert.status)", metadata: ["alertname": "\(alert.labels["alertname"] ?? "")",
                                                                          "description": "\(alert.annotations["description"] ?? "")"])
        }
    }
}
