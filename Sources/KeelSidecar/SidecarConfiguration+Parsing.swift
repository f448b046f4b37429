import Foundation
import KeelFiles

extension SidecarConfiguration.Node {
    /// The node's API base URL: configured, or read from the `api.url` the node writes into
    /// its data directory at start (so port 0 works); nil until known.
    public func apiBase() -> String? {
        if let api { return api }
        guard let dir = dataDirectory else { return nil }
        do {
            guard let url = try TextFile.readIfPresent(dir + "/api.url"), !url.isEmpty else { return nil }
            return url
        } catch {
            return nil  // unreadable counts as not yet known: health checks fail and say so
        }
    }
}

extension SidecarConfiguration {
    static func parseAlerts(_ alerts: Section, into config: inout SidecarConfiguration) throws {
        config.alerts.repeatInterval = try alerts.duration("repeat_interval") ?? config.alerts.repeatInterval
        config.alerts.resendInterval = try alerts.duration("resend_interval", positive: true) ?? config.alerts.resendInterval
        config.alerts.labels = try alerts.stringMap("labels") ?? [:]
        if let base = try alerts.string("runbook_base") {
            config.alerts.rules = AlertRule.Kind.allCases.map { AlertRule.defaults($0, runbookBase: base) }
        }
        if let rules = try alerts.section("rules") {
            for key in try rules.keys() {
                guard let kind = AlertRule.Kind(rawValue: key) else {
                    throw SidecarError(
                        .configuration, "alerts.rules: unknown alert '\(key)' (known: \(AlertRule.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                guard let rule = try rules.section(key), let index = config.alerts.rules.firstIndex(where: { $0.kind == kind }) else { continue }
                var r = config.alerts.rules[index]
                r.enabled = try rule.bool("enabled") ?? r.enabled
                r.threshold = try rule.double("threshold") ?? r.threshold
                r.forDuration = try rule.duration("for") ?? r.forDuration
                r.window = try rule.duration("window", positive: true) ?? r.window
                if let severity = try rule.string("severity") {
                    guard ["critical", "warning", "info"].contains(severity) else {
                        throw SidecarError(.configuration, "alerts.rules.\(key).severity must be critical, warning or info")
                    }
                    r.severity = severity
                }
                r.runbookURL = try rule.string("runbook_url") ?? r.runbookURL
                r.summary = try rule.string("summary") ?? r.summary
                try rule.finish()
                config.alerts.rules[index] = r
            }
            try rules.finish()
        }
        try alerts.finish()
    }

    static func parseReceiver(_ section: Section, index: Int) throws -> WebhookReceiver {
        let name = try section.string("name") ?? "receiver-\(index + 1)"
        let url: String
        switch (try section.string("url"), try section.string("url_file")) {
        case (let inline?, nil): url = inline
        case (nil, let file?): url = try readSecret(file, field: section.path + ".url_file")
        case (.some, .some): throw SidecarError(.configuration, "\(section.path): give url or url_file, not both")
        case (nil, nil): throw SidecarError(.configuration, "\(section.path): a receiver needs url or url_file")
        }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            // The URL itself is a secret: only its field is named.
            throw SidecarError(.configuration, "\(section.path).url must start with http:// or https://")
        }
        var secret = try section.string("secret")
        if let file = try section.string("secret_file") {
            guard secret == nil else { throw SidecarError(.configuration, "\(section.path): give secret or secret_file, not both") }
            secret = try readSecret(file, field: section.path + ".secret_file")
        }
        if let secret, let problem = WebhookSigner.problem(secret) {
            // The secret itself is never printed, only its field.
            throw SidecarError(.configuration, "\(section.path).secret: \(problem)")
        }
        var format = WebhookReceiver.Format.alertmanager
        if let text = try section.string("format") {
            guard let f = WebhookReceiver.Format(rawValue: text) else {
                throw SidecarError(
                    .configuration, "\(section.path).format must be alertmanager (webhook body), alertmanager-api (Alertmanager's /api/v2/alerts) or slack")
            }
            format = f
        }
        let timeout = try section.duration("timeout", positive: true) ?? 5
        try section.finish()
        return WebhookReceiver(name: name, url: url, secret: secret, format: format, timeout: timeout)
    }

    /// Reads a secret kept outside the configuration (so the file can be shared).
    static func readSecret(_ path: String, field: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SidecarError(.configuration, "\(field): cannot read \(path)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw SidecarError(.configuration, "\(field): \(path) is empty") }
        return text
    }
}
