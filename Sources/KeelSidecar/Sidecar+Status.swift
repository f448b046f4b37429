import Foundation

extension Sidecar {
    /// The node's last output lines, stderr first, redacted: what an exit's alert carries and
    /// what the status page shows of a node that is down.
    static func lastLines(of supervisor: Supervisor, redactor r: Redactor, count: Int = 20) -> [String] {
        (supervisor.stderr.lines(last: count).map { "stderr: " + $0 } + supervisor.stdout.lines(last: count).map { "stdout: " + $0 }).map(r.redact)
    }

    /// What the status page shows, gathered now.
    public func statusModel(now: Double = Date().timeIntervalSince1970) -> StatusPage.Model {
        let s = supervisor.status, up = supervisor.nodeUp
        let r = redactor()
        let exits = s.exits.map { Supervisor.Exit(time: $0.time, reason: $0.reason, detail: r.redact($0.detail)) }
        let c = configuration
        let window = sampler.readingsAndMemory
        return StatusPage.Model(
            now: now, phase: s.phase, pid: s.pid, healthy: up, uptime: s.uptime, restarts: s.restarts, exits: exits,
            restartAt: s.restartAt, readings: window.readings, memorySpans: window.memory, scrapeInterval: c.sampling.interval, alerts: evaluator.overview,
            receivers: c.receivers.map(\.name).sorted(), outboxDepth: dispatcher.outbox.depth, deliveries: dispatcher.log.recent,
            soaks: soakReports.reports(), logLines: s.phase == .running && up ? [] : Sidecar.lastLines(of: supervisor, redactor: r),
            refreshSeconds: max(5, min(30, Int(c.sampling.interval.rounded(.up)))))
    }
}
