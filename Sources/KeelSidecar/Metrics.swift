import KeelCore
import KeelMetrics
import Prometheus

/// The sidecar's own metrics (`keel_sidecar_` names, bounded labels), plus the standard
/// `process_*` ones for the sidecar process itself.
public final class SidecarMetrics: Sendable {
    /// Restart reasons.
    public static let reasons = ["crash", "exit", "unhealthy", "spawn_failed"]

    /// The registry behind the sidecar's `/metrics`.
    public let registry = PrometheusCollectorRegistry()
    /// `keel_sidecar_node_up`: 1 while the node runs and answers its health check.
    public let nodeUp: Gauge
    /// `keel_sidecar_node_restarts_total{reason}`.
    let restarts: [String: Counter]
    /// `keel_sidecar_node_starts_total`.
    public let starts: Counter
    /// `keel_sidecar_restarts_suspended`: 1 once the burst limit stopped restarts.
    public let suspended: Gauge
    /// `keel_sidecar_health_checks_total{result}`.
    let healthChecks: [String: Counter]
    /// `keel_sidecar_children_reaped_total`.
    public let reaped: Gauge
    /// `keel_sidecar_node_log_lines_total{stream}`.
    let logLines: [String: Gauge]
    /// `keel_sidecar_scrapes_total{result}`.
    let scrapes: [String: Counter]
    /// `keel_sidecar_alerts_firing{alertname}`.
    let alertsFiring: [String: Gauge]
    /// `keel_sidecar_alert_notifications_total{status}`.
    let notifications: [String: Counter]
    /// `keel_sidecar_webhook_deliveries_total{result}`.
    let deliveries: [String: Counter]
    /// `keel_sidecar_outbox_depth`.
    public let outboxDepth: Gauge
    /// `keel_sidecar_soak_progress_ratio{soak}`.
    let soakProgress: [String: Gauge]
    /// `keel_sidecar_config_reloads_total{result}`.
    let reloads: [String: Counter]
    /// `keel_sidecar_build_info{version, commit}`.
    let buildInfo: Gauge
    /// `process_*` of the sidecar.
    public let process: ProcessMetrics

    /// Creates every series at zero.
    public init() {
        let r = registry
        nodeUp = r.makeGauge(descriptor: .keel("keel_sidecar_node_up", "1 while the supervised node runs and answers its health check, else 0."))
        restarts = r.counters("keel_sidecar_node_restarts_total", "Node restarts, by why the node went down.", label: "reason", values: SidecarMetrics.reasons)
        starts = r.makeCounter(descriptor: .keel("keel_sidecar_node_starts_total", "Times the sidecar started the node."))
        suspended = r.makeGauge(descriptor: .keel("keel_sidecar_restarts_suspended", "1 when the burst limit stopped restarts (a crash loop), else 0."))
        healthChecks = r.counters(
            "keel_sidecar_health_checks_total", "Health checks of the node's /health, by result.", label: "result", values: ["ok", "failed"])
        reaped = r.makeGauge(descriptor: .keel("keel_sidecar_children_reaped", "Child processes reaped since the sidecar started (none is left a zombie)."))
        logLines = r.gauges(
            "keel_sidecar_node_log_lines", "Lines the node has written since the sidecar started, by stream.", label: "stream", values: ["stdout", "stderr"])
        scrapes = r.counters("keel_sidecar_scrapes_total", "Scrapes of the node's /metrics, by result.", label: "result", values: ["ok", "failed"])
        alertsFiring = r.gauges(
            "keel_sidecar_alerts_firing", "1 while the alert fires, else 0, by alert name.", label: "alertname",
            values: AlertRule.Kind.allCases.map(\.rawValue))
        notifications = r.counters(
            "keel_sidecar_alert_notifications_total", "Alert notifications queued (once per receiver), by status.", label: "status",
            values: ["firing", "resolved"])
        deliveries = r.counters(
            "keel_sidecar_webhook_deliveries_total", "Webhook delivery attempts, by result: delivered (2xx), retried (will try again), failed (given up).",
            label: "result", values: ["delivered", "retried", "failed"])
        outboxDepth = r.makeGauge(descriptor: .keel("keel_sidecar_outbox_depth", "Webhook notifications waiting in the durable outbox."))
        soakProgress = r.gauges(
            "keel_sidecar_soak_progress_ratio", "Progress of the running soak from 0 to 1, by soak (0 when none runs).", label: "soak",
            values: ["memory", "mining"])
        reloads = r.counters(
            "keel_sidecar_config_reloads_total",
            "Configuration reloads on SIGHUP, by result (failed: the file was refused and the running configuration kept).", label: "result",
            values: ["ok", "failed"])
        buildInfo = r.makeGauge(
            descriptor: .keel("keel_sidecar_build_info", "Always 1; the labels say which build of the sidecar is running."),
            labels: [("version", KeelBuild.version), ("commit", KeelBuild.commit)])
        buildInfo.set(to: 1)
        process = ProcessMetrics(registry: r)
    }

    func configReloaded(ok: Bool) { reloads[ok ? "ok" : "failed"]?.increment() }
    func scraped(ok: Bool) { scrapes[ok ? "ok" : "failed"]?.increment() }
    func delivered(_ result: String) { deliveries[result]?.increment() }
    func notified(_ status: String, receivers: Int) { notifications[status]?.increment(by: Int64(receivers)) }
    func setFiring(_ names: Set<String>) {
        for (name, gauge) in alertsFiring { gauge.set(to: names.contains(name) ? 1 : 0) }
    }
    /// Sets the progress of `soak` (memory or mining).
    public func setSoakProgress(_ soak: String, _ ratio: Double) { soakProgress[soak]?.set(to: ratio) }

    func restarted(_ reason: String) { restarts[reason]?.increment() }
    func checked(ok: Bool) { healthChecks[ok ? "ok" : "failed"]?.increment() }

    /// The exposition with only the process metrics refreshed (a soak run has no supervisor).
    public func renderProcess() -> [UInt8] {
        if let sample = ProcessSample.read() { process.update(sample) }
        var buffer = [UInt8]()
        registry.emit(into: &buffer)
        return buffer
    }

    /// The exposition, with the process metrics read first.
    public func render(stdout: LogBuffer, stderr: LogBuffer, reapedCount: Int) -> [UInt8] {
        if let sample = ProcessSample.read() { process.update(sample) }
        logLines["stdout"]?.set(to: Double(stdout.totalLines))
        logLines["stderr"]?.set(to: Double(stderr.totalLines))
        reaped.set(to: Double(reapedCount))
        var buffer = [UInt8]()
        registry.emit(into: &buffer)
        return buffer
    }
}
