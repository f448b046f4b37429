extension StatusPage {
    static func alertsSection(_ model: Model) -> String {
        var html = "<section id=\"alerts\" aria-labelledby=\"alerts-title\">\n<h2 id=\"alerts-title\">Alerts</h2>\n"
        guard !model.alerts.isEmpty else { return html + "<p><span class=\"state ok\">NONE</span> No alert is pending or firing.</p>\n</section>\n" }
        let rows = model.alerts.map { alert -> [String] in
            let tone = alert.state == "firing" ? (alert.severity == "critical" ? "bad" : "warn") : "none"
            var what = HTML.escape(alert.summary)
            if !alert.description.isEmpty { what += "<br><span class=\"muted\">\(HTML.escape(alert.description))</span>" }
            return [
                HTML.escape(alert.name), "<span class=\"state \(tone)\">\(alert.state.uppercased())</span>", HTML.escape(alert.severity),
                duration(model.now - alert.since) + " ago", what, runbookLink(alert),
            ]
        }
        html += table(
            ["Alert", "State", "Severity", "Since", "What", "Runbook"], rows,
            attributes: model.alerts.map { "data-alert=\"\(HTML.escape($0.name))\" data-alert-state=\"\($0.state)\"" })
        return html + "</section>\n"
    }

    /// A web runbook as it is; a file in the repository through the sidecar's `/runbook/`.
    static func runbookLink(_ alert: AlertEngine.Overview) -> String {
        let url = alert.runbookURL
        guard !url.isEmpty else { return "—" }
        let href = url.hasPrefix("http://") || url.hasPrefix("https://") ? url : "/runbook/" + alert.name
        return "<a href=\"\(HTML.escape(href))\">\(HTML.escape(alert.name)) runbook</a>"
    }

    static func webhooksSection(_ model: Model) -> String {
        var html = "<section id=\"webhooks\" aria-labelledby=\"webhooks-title\">\n<h2 id=\"webhooks-title\">Webhooks</h2>\n"
        let receivers = model.receivers.isEmpty ? "none configured (alerts are logged only)" : model.receivers.map(HTML.escape).joined(separator: ", ")
        html += "<dl><dt>Receivers</dt><dd>\(receivers)</dd><dt>Outbox</dt><dd data-outbox=\"\(model.outboxDepth)\">\(model.outboxDepth) waiting</dd></dl>\n"
        guard !model.deliveries.isEmpty else { return html + "<p>No delivery attempted since the sidecar started.</p>\n</section>\n" }
        let rows = model.deliveries.map { entry -> [String] in
            let tone = entry.outcome == "delivered" ? "ok" : entry.outcome == "retried" ? "warn" : "bad"
            var outcome = "<span class=\"state \(tone)\">\(entry.outcome.uppercased())</span>"
            if let detail = entry.detail { outcome += " " + HTML.escape(detail) }
            return [
                duration(model.now - entry.time) + " ago", HTML.escape(entry.receiver), "\(HTML.escape(entry.alertname)) (\(HTML.escape(entry.status)))",
                outcome,
            ]
        }
        html += table(["When", "Receiver", "Alert", "Outcome"], rows)
        return html + "</section>\n"
    }

    static func soaksSection(_ soaks: [SoakReportIndex.Report], now: Double, charts: Bool = false) -> String {
        var html = "<section id=\"soaks\" aria-labelledby=\"soaks-title\">\n<h2 id=\"soaks-title\">Soak reports</h2>\n"
        guard !soaks.isEmpty else {
            return html + "<p>None yet. <code>keel-sidecar soak memory</code> or <code>soak mining</code> writes one into state_dir/soak.</p>\n</section>\n"
        }
        var rows = [[String]](), attributes = [String]()
        for soak in soaks {
            let name = HTML.escape(soak.name)
            let verdict: String
            switch soak.passed {
            case true?: verdict = "<span class=\"state ok\">PASSED</span>"
            case false?: verdict = "<span class=\"state bad\">FAILED</span> " + HTML.escape(soak.failure ?? "")
            case nil: verdict = "<span class=\"state warn\">UNREADABLE</span> " + HTML.escape(soak.failure ?? "")
            }
            var files = "<a href=\"/soaks/\(name)/report.json\">report.json</a>"
            if soak.hasChart { files += " · <a href=\"/soaks/\(name)/chart.svg\">chart.svg</a>" }
            if charts, soak.hasChart { files += "<br><img src=\"/soaks/\(name)/chart.svg\" alt=\"Chart of the \(name) soak\" class=\"chart\">" }
            rows.append([name, duration(now - soak.written) + " ago", verdict, files])
            attributes.append("data-soak=\"\(name)\"")
        }
        html += table(["Report", "Written", "Verdict", "Files"], rows, attributes: attributes)
        return html + "</section>\n"
    }

    /// `/soaks/`: every report with its chart.
    public static func renderSoaks(_ soaks: [SoakReportIndex.Report], now: Double) -> String {
        var html = head(title: "Keel: soak reports", refresh: nil)
        html += "<header><h1>Soak reports</h1><p><a href=\"/\">Back to the status page</a></p></header>\n<main>\n"
        html += soaksSection(soaks, now: now, charts: true)
        return html + "</main>\n</body>\n</html>\n"
    }
}
