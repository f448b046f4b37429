import Foundation
import Logging

/// What every soak does at the end: write `report.json` and `chart.svg`, and when it failed,
/// send a `SoakFailed` alert through the configured receivers (waiting for delivery, so the
/// exit code is not the only trace).
public enum SoakOutcome {
    /// Writes the report and chart into `directory`; returns their paths.
    public static func write<R: Encodable>(report: R, chart: SVGChart, directory: String) throws -> (json: String, svg: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = directory + "/report.json", svg = directory + "/chart.svg"
        do {
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
            try chart.render().write(toFile: svg, atomically: true, encoding: .utf8)
        } catch {
            throw SidecarError(.storage, "cannot write the soak report into \(directory): \(error.localizedDescription)")
        }
        return (json, svg)
    }

    /// Sends `SoakFailed` to every receiver in `configuration`; true when all were delivered
    /// within `timeout` seconds (undelivered ones stay in the outbox for the next sidecar run).
    public static func alert(
        soak: String, failure: String, report: String, configuration: SidecarConfiguration, logger: Logger,
        timeout: Double = 30
    ) async -> Bool {
        guard !configuration.receivers.isEmpty else { return true }
        let metrics = SidecarMetrics()
        do {
            let outbox = try Outbox(directory: configuration.stateDirectory + "/outbox")
            let dispatcher = WebhookDispatcher(
                receivers: configuration.receivers, policy: configuration.delivery, outbox: outbox,
                metrics: metrics, logger: logger, externalURL: "file://" + report)
            let rule = configuration.alerts.rules.first { $0.kind == .soakFailed } ?? AlertRule.defaults(.soakFailed)
            let engine = AlertEngine(
                rules: [], labels: configuration.alerts.labels.merging(["soak": soak]) { $1 },
                repeatInterval: 0, generatorURL: "file://" + report)
            var alert = engine.event(rule, description: "The \(soak) soak failed: \(failure)", now: Date().timeIntervalSince1970)
            alert.annotations["report"] = report
            dispatcher.enqueue(alert)
            return await dispatcher.flush(until: Monotonic.seconds() + timeout)
        } catch {
            logger.error("could not queue the SoakFailed alert", metadata: ["error": "\(error)"])
            return false
        }
    }
}
