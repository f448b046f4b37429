import Foundation
import Hummingbird
import KeelFiles
import Logging
import ServiceLifecycle
import Synchronization

/// A whole sidecar wired from one configuration: the supervisor, the sampler, the alert
/// evaluator, the webhook dispatcher over the durable outbox, and the HTTP router. The
/// executable only parses arguments and runs `services`.
public final class Sidecar: Sendable {
    /// The configuration in force (the last one reloaded, for the reloadable sections).
    public var configuration: SidecarConfiguration { current.withLock { $0 } }
    private let current: Mutex<SidecarConfiguration>
    /// The sidecar's own series, on its `/metrics` (never the node's).
    public let metrics: SidecarMetrics
    /// Runs the node.
    public let supervisor: Supervisor
    /// Scrapes the node.
    public let sampler: Sampler
    /// Sends webhooks.
    public let dispatcher: WebhookDispatcher
    /// Turns events and readings into alerts.
    public let evaluator: AlertEvaluator
    /// The soak reports under `state_dir/soak`.
    public let soakReports: SoakReportIndex

    /// Wires a sidecar; `externalURL` is the sidecar's own address as receivers should see it;
    /// the node starts once `startGate` opens. Throws when the outbox cannot be opened.
    public init(configuration: SidecarConfiguration, logger: Logger, externalURL: String, startGate: StartGate = StartGate(open: true)) throws {
        current = Mutex(configuration)
        soakReports = SoakReportIndex(directory: configuration.stateDirectory + "/soak")
        let metrics = SidecarMetrics()
        self.metrics = metrics
        let outbox = try Outbox(directory: configuration.stateDirectory + "/outbox")
        if outbox.depth > 0 {
            logger.notice("webhook notifications left by an earlier run will be delivered", metadata: ["queued": "\(outbox.depth)"])
        }
        let dispatcher = WebhookDispatcher(
            receivers: configuration.receivers, policy: configuration.delivery, outbox: outbox,
            metrics: metrics, logger: logger, externalURL: externalURL)
        self.dispatcher = dispatcher
        // The supervisor reports to the evaluator, which reads the supervisor: a late-bound link.
        let linkBox = LinkBox()
        let supervisor = Supervisor(configuration: configuration, metrics: metrics, logger: logger, startGate: startGate) { event in
            linkBox.evaluator?.handle(event)
        }
        self.supervisor = supervisor
        let node = configuration.node
        let sampler = Sampler(
            interval: configuration.sampling.interval, windowSeconds: configuration.sampling.window,
            metricsURL: { node.apiBase().map { $0 + "/metrics" } }, metrics: metrics, logger: logger
        ) { _ in
            linkBox.evaluator?.tick()
        }
        self.sampler = sampler
        let tokenFile = node.dataDirectory.map { $0 + "/api.token" }
        let redactor: @Sendable () -> Redactor = {
            // The node's token, read afresh (the node writes it at its first start). The node never
            // logs it; this is the second line of defence, and an unreadable file leaves nothing
            // to redact with.
            let token: String?
            do { token = try tokenFile.flatMap(TextFile.readIfPresent) } catch { token = nil }
            return Redactor(secrets: [token].compactMap { $0 })
        }
        self.redactor = redactor
        let engine = AlertEngine(
            rules: configuration.alerts.rules, labels: configuration.alerts.labels,
            repeatInterval: configuration.alerts.repeatInterval, generatorURL: externalURL + "/health")
        evaluator = AlertEvaluator(
            engine: engine, dispatcher: dispatcher, metrics: metrics, logger: logger,
            resendInterval: configuration.alerts.resendInterval, nodeUp: { supervisor.nodeUp }, readings: { sampler.readings }
        ) {
            String(Sidecar.lastLines(of: supervisor, redactor: redactor()).joined(separator: "\n").suffix(4_096))
        }
        linkBox.set(evaluator)
    }

    /// What a reload did: the sections it applied and the fields that changed but take effect
    /// only on a restart (the node's command, health checks, restarts, listen address, ...).
    public struct ReloadReport: Sendable, Equatable {
        /// Reloaded sections that changed.
        public var applied: [String]
        /// Changed fields a reload cannot apply.
        public var needRestart: [String]
    }

    /// Applies `new`'s reloadable sections (alerts, receivers, delivery, sampler) without
    /// touching the node, and names what else changed. The caller has parsed and validated it.
    public func reload(_ new: SidecarConfiguration) -> ReloadReport {
        let old = configuration
        func differs<T>(_ a: T, _ b: T) -> Bool { String(describing: a) != String(describing: b) }
        var applied = [String](), needRestart = [String]()
        if differs(old.alerts, new.alerts) {
            evaluator.reload(new.alerts)
            applied.append("alerts")
        }
        if differs(old.receivers, new.receivers) || differs(old.delivery, new.delivery) {
            dispatcher.reload(receivers: new.receivers, policy: new.delivery)
            applied.append(differs(old.receivers, new.receivers) ? "receivers" : "delivery")
        }
        if old.logsToken != new.logsToken { applied.append("logs.token_file") }
        if differs(old.sampling, new.sampling) {
            sampler.reload(interval: new.sampling.interval, windowSeconds: new.sampling.window)
            applied.append("sampler")
        }
        let fixed: [(String, Bool)] = [
            ("node", differs(old.node, new.node)), ("health", differs(old.health, new.health)),
            ("restart", differs(old.restart, new.restart)), ("stop.timeout", old.stopTimeout != new.stopTimeout),
            ("log_lines", old.logLines != new.logLines), ("listen", old.listenHost != new.listenHost || old.listenPort != new.listenPort),
            ("state_dir", old.stateDirectory != new.stateDirectory),
        ]
        needRestart = fixed.filter(\.1).map(\.0)
        current.withLock { config in
            config.alerts = new.alerts
            config.receivers = new.receivers
            config.delivery = new.delivery
            config.sampling = new.sampling
            config.logsToken = new.logsToken
        }
        metrics.configReloaded(ok: true)
        return ReloadReport(applied: applied, needRestart: needRestart)
    }

    /// Hides the node's API token in anything shown (logs, alerts).
    public let redactor: @Sendable () -> Redactor

    /// The services in start order; shutdown runs in reverse, so the node is stopped before the
    /// dispatcher's last pass.
    public var services: [any Service] { [dispatcher, supervisor, sampler] }

    /// The HTTP router: the status page at `/`, `/soaks/`, `/health`, `/metrics` and `/logs`.
    public var router: Router<BasicRequestContext> { SidecarAPI.router(sidecar: self) }
}

/// Holds the evaluator for closures made before it exists.
private final class LinkBox: Sendable {
    private let link = Mutex<AlertEvaluator?>(nil)
    var evaluator: AlertEvaluator? { link.withLock { $0 } }
    func set(_ evaluator: AlertEvaluator) { link.withLock { $0 = evaluator } }
}
