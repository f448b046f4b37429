import Foundation

/// The sidecar as an Alertmanager client, the way Prometheus is one: alerts are POSTed as a JSON
/// array to `<url>/api/v2/alerts`, firing ones again every resend interval, and Alertmanager
/// does the grouping, inhibition, silences and de-duplication. An alert the sidecar and
/// Prometheus both raise (same name, same labels) has one fingerprint there, so it is merged
/// into one alert and notified once.
public enum AlertmanagerClient {
    /// Appended to the receiver's URL (Alertmanager's base URL).
    public static let path = "/api/v2/alerts"

    /// One `postableAlert` of Alertmanager's OpenAPI spec.
    struct PostableAlert: Codable, Equatable {
        var labels: [String: String]
        var annotations: [String: String]
        var startsAt: String
        /// Absent while firing: Alertmanager then keeps the alert for its `resolve_timeout`
        /// (5 m by default) past each resend, so a sidecar that stops sending lets it expire
        /// instead of leaving it firing for ever. Set on resolution.
        var endsAt: String?
        var generatorURL: String
    }

    /// The request body for `alert`.
    public static func body(_ alert: Alert) -> [UInt8] {
        let postable = PostableAlert(
            labels: alert.labels, annotations: alert.annotations, startsAt: alert.startsAt,
            endsAt: alert.status == "firing" ? nil : alert.endsAt, generatorURL: alert.generatorURL)
        return JSONBody.encode([postable])
    }

    /// Where to POST for a receiver whose URL is Alertmanager's base URL (`http://host:9093`,
    /// or with a route prefix).
    public static func endpoint(base: String) -> String {
        var url = base
        while url.hasSuffix("/") { url.removeLast() }
        return url.hasSuffix(path) ? url : url + path
    }
}
