/// One alert rule from the configuration: what it watches (its name decides that), when it
/// counts as active (`threshold`), how long it must stay active before it fires (`for`), and
/// what the notification says. The kinds and their defaults come from the monitoring mixin's
/// alert model (`AlertRule+Model.swift`, rendered), which the Prometheus rules share.
public struct AlertRule: Sendable, Equatable {
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
        return AlertRule(
            kind: kind, enabled: true, threshold: d.threshold, forDuration: d.for, severity: d.severity, window: d.window,
            runbookURL: runbookBase + "/" + kind.rawValue + ".md", summary: d.summary)
    }
}
