/// One webhook receiver from the configuration. Its URL and secret are secrets: they are used
/// to send and nowhere else (not in logs, errors, metrics, the outbox, or `check-config`).
public struct WebhookReceiver: Sendable, Equatable {
    /// The body format.
    public enum Format: String, Sendable, CaseIterable {
        /// Alertmanager's webhook v4 JSON.
        case alertmanager
        /// `{"text": "..."}` for Slack-style incoming webhooks.
        case slack
        /// Alertmanager's own API: `url` is Alertmanager's base URL; alerts go to
        /// `/api/v2/alerts`, firing ones re-sent every `alerts.resend_interval`.
        case alertmanagerAPI = "alertmanager-api"
    }

    /// The name used in logs, metrics-free status and the body's `receiver` field.
    public var name: String
    /// Where to POST (for `alertmanager-api`, Alertmanager's base URL).
    public var url: String
    /// The Standard Webhooks secret; without one, no signature headers are sent.
    public var secret: String?
    /// The body format.
    public var format: Format
    /// Seconds one attempt may take (connect included).
    public var timeout: Double

    /// Memberwise; `sidecar.yaml` is checked when it loads, not here.
    public init(name: String, url: String, secret: String? = nil, format: Format = .alertmanager, timeout: Double = 5) {
        self.name = name
        self.url = url
        self.secret = secret
        self.format = format
        self.timeout = timeout
    }

    /// The URL a notification goes to.
    public var endpoint: String { format == .alertmanagerAPI ? AlertmanagerClient.endpoint(base: url) : url }

    /// The URL with everything after the host cut off, for people (`https://hooks.example.com/…`).
    public var redactedURL: String {
        guard let scheme = url.range(of: "://") else { return "…" }
        let rest = url[scheme.upperBound...]
        let hostPart = rest.prefix { $0 != "/" && $0 != "?" }
        let host = hostPart.split(separator: "@").last.map(String.init) ?? ""
        return String(url[..<scheme.upperBound]) + host + "/…"
    }
}
