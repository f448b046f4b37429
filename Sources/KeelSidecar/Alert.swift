import Crypto
import Foundation

/// One alert as receivers see it: the fields of an alert in Alertmanager's webhook v4 body.
public struct Alert: Sendable, Equatable, Codable {
    /// `firing` or `resolved`.
    public var status: String
    /// `alertname`, `severity`, and the configured extra labels.
    public var labels: [String: String]
    /// `summary`, `description`, `runbook_url`, and for crashes `logs`.
    public var annotations: [String: String]
    /// When the condition began (RFC 3339).
    public var startsAt: String
    /// When it resolved, or `0001-01-01T00:00:00Z` while firing.
    public var endsAt: String
    /// A link to where the alert came from (the sidecar's `/health`).
    public var generatorURL: String
    /// A stable hash of the labels.
    public var fingerprint: String

    /// The `endsAt` of a firing alert, as Alertmanager sends it.
    public static let zeroTime = "0001-01-01T00:00:00Z"

    /// Builds an alert; `startsAt` and `endsAt` are Unix seconds.
    public init(firing: Bool, labels: [String: String], annotations: [String: String], startsAt: Double, endsAt: Double?, generatorURL: String) {
        status = firing ? "firing" : "resolved"
        self.labels = labels
        self.annotations = annotations
        self.startsAt = Alert.rfc3339(startsAt)
        self.endsAt = endsAt.map(Alert.rfc3339) ?? Alert.zeroTime
        self.generatorURL = generatorURL
        fingerprint = Alert.fingerprint(labels)
    }

    /// 16 hex digits of SHA-256 over the sorted labels.
    public static func fingerprint(_ labels: [String: String]) -> String {
        let text = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{1}")
        return SHA256.hash(data: Data(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Unix seconds as RFC 3339 UTC with milliseconds.
    public static func rfc3339(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}

/// The body Alertmanager posts to webhook receivers (version 4), so any receiver built for
/// Alertmanager accepts the sidecar's notifications; and the Slack-style `{"text": ...}` body.
public struct AlertmanagerPayload: Sendable, Equatable, Codable {
    /// Always "4".
    public var version = "4"
    /// Identifies the group (one group per alert name).
    public var groupKey: String
    /// Alerts left out (never any: one notification carries one alert).
    public var truncatedAlerts = 0
    /// `firing` or `resolved`.
    public var status: String
    /// The receiver's configured name.
    public var receiver: String
    /// `alertname`.
    public var groupLabels: [String: String]
    /// Labels all alerts share.
    public var commonLabels: [String: String]
    /// Annotations all alerts share.
    public var commonAnnotations: [String: String]
    /// The sidecar's URL.
    public var externalURL: String
    /// The alerts of this notification; the payload built here carries one.
    public var alerts: [Alert]

    /// The payload for one alert.
    public init(alert: Alert, receiver: String, externalURL: String) {
        let name = alert.labels["alertname"] ?? ""
        groupKey = "{}:{alertname=\"\(name)\"}"
        status = alert.status
        self.receiver = receiver
        groupLabels = ["alertname": name]
        commonLabels = alert.labels
        commonAnnotations = alert.annotations
        self.externalURL = externalURL
        alerts = [alert]
    }

    /// Sorted-key JSON.
    public func encoded() -> [UInt8] {
        JSONBody.encode(self)
    }

    /// `{"text": "..."}` for Slack-style incoming webhooks.
    public func slackBody() -> [UInt8] {
        var lines = [String]()
        for alert in alerts {
            let name = alert.labels["alertname"] ?? "alert"
            let severity = alert.labels["severity"].map { " (\($0))" } ?? ""
            lines.append("[\(alert.status.uppercased())] \(name)\(severity): \(alert.annotations["summary"] ?? "")")
            if let description = alert.annotations["description"] { lines.append(description) }
            if let runbook = alert.annotations["runbook_url"] { lines.append("Runbook: \(runbook)") }
            if alert.status == "firing", let logs = alert.annotations["logs"] { lines.append("```\n\(logs)\n```") }
        }
        return JSONBody.encode(["text": lines.joined(separator: "\n")])
    }
}
