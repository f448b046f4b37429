import KeelCore

/// The sidecar's HTML status page at `/`: what the node is doing, at a glance, in a browser.
/// Server-rendered from one `Model` with no external assets (it works offline, under a CSP
/// that allows no script and no remote load) and refreshed by a meta refresh. Every state is
/// written in words; colour only repeats it.
public enum StatusPage {
    /// Everything the page shows, gathered at one moment (`Sidecar.statusModel`).
    public struct Model: Sendable {
        /// Unix seconds the page was rendered at.
        public var now: Double
        /// What the supervisor is doing with the node.
        public var phase: Supervisor.Phase
        /// The node's pid while it runs.
        public var pid: Int32?
        /// Whether its last health check passed.
        public var healthy: Bool
        /// Seconds since the node last started, while it runs.
        public var uptime: Double?
        /// Restarts since the sidecar started.
        public var restarts: Int
        /// How the node went down, newest first.
        public var exits: [Supervisor.Exit]
        /// Unix seconds of the next restart, while backing off.
        public var restartAt: Double?
        /// The sampler's readings, oldest first.
        public var readings: [Sampler.Reading]
        /// The sampler's memory spans over them (a long window is drawn from these).
        public var memorySpans: [MemorySpan]
        /// Seconds between scrapes.
        public var scrapeInterval: Double
        /// Pending and firing alerts.
        public var alerts: [AlertEngine.Overview]
        /// Configured receiver names.
        public var receivers: [String]
        /// Webhook notifications waiting in the outbox.
        public var outboxDepth: Int
        /// The last delivery attempts, newest first.
        public var deliveries: [DeliveryLog.Entry]
        /// Soak reports, newest first.
        public var soaks: [SoakReportIndex.Report]
        /// The node's last output lines, redacted (shown when it is down or crash-looping).
        public var logLines: [String]
        /// Seconds between refreshes.
        public var refreshSeconds: Int

        /// A model; the collections default to empty.
        public init(
            now: Double, phase: Supervisor.Phase, pid: Int32? = nil, healthy: Bool = false, uptime: Double? = nil, restarts: Int = 0,
            exits: [Supervisor.Exit] = [], restartAt: Double? = nil, readings: [Sampler.Reading] = [], memorySpans: [MemorySpan] = [],
            scrapeInterval: Double = 5,
            alerts: [AlertEngine.Overview] = [], receivers: [String] = [], outboxDepth: Int = 0, deliveries: [DeliveryLog.Entry] = [],
            soaks: [SoakReportIndex.Report] = [], logLines: [String] = [], refreshSeconds: Int = 5
        ) {
            self.now = now
            self.phase = phase
            self.pid = pid
            self.healthy = healthy
            self.uptime = uptime
            self.restarts = restarts
            self.exits = exits
            self.restartAt = restartAt
            self.readings = readings
            self.memorySpans = memorySpans
            self.scrapeInterval = scrapeInterval
            self.alerts = alerts
            self.receivers = receivers
            self.outboxDepth = outboxDepth
            self.deliveries = deliveries
            self.soaks = soaks
            self.logLines = logLines
            self.refreshSeconds = refreshSeconds
        }
    }

    /// The page's Content-Security-Policy: nothing but its own inline style and same-origin
    /// images (soak charts), no script, no frames, no form targets.
    public static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The whole page.
    public static func render(_ model: Model) -> String {
        var html = head(title: "Keel: " + condition(model).headline, refresh: model.refreshSeconds)
        html += "<header><h1>Keel node</h1><p>keel-sidecar \(HTML.escape(KeelBuild.version)) · page of \(HTML.escape(clock(model.now))) UTC"
        html += " · refreshes every \(model.refreshSeconds) s</p></header>\n<main>\n"
        html += banner(model)
        html += "<div class=\"grid\">\n"
        html += nodeSection(model)
        let figures = Figures(model.readings)
        html += chainSection(model, figures)
        html += peersSection(model)
        html += miningSection(model, figures)
        html += "</div>\n"
        html += memorySection(model)
        html += alertsSection(model)
        html += webhooksSection(model)
        html += soaksSection(model.soaks, now: model.now)
        html +=
            "</main>\n<footer><p>JSON: <a href=\"/health\">/health</a> · metrics: <a href=\"/metrics\">/metrics</a> · soak reports: <a href=\"/soaks/\">/soaks/</a></p></footer>\n"
        return html + "</body>\n</html>\n"
    }

    /// The document head and the opening `<body>`.
    static func head(title: String, refresh: Int?) -> String {
        var html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        if let refresh { html += "<meta http-equiv=\"refresh\" content=\"\(refresh)\">\n" }
        html += "<title>\(HTML.escape(title))</title>\n<style>\(style)</style>\n</head>\n<body>\n"
        return html
    }

    /// Dark text on light ground throughout (contrast ≥ 7:1 for body text); states carry a word
    /// and a border, never colour alone; one column below 40rem.
    static let style = """
        body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f6f6f4;margin:0 auto;max-width:72rem;padding:0 1rem 2rem}
        header h1{font-size:1.5rem;margin:1rem 0 .2rem}header p,footer p{margin:0;color:#404040;font-size:.9rem}
        h2{font-size:1.15rem;margin:0 0 .5rem}section{background:#fff;border:1px solid #c8c8c8;border-radius:6px;padding:.8rem 1rem;margin:1rem 0}
        .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(15rem,1fr));gap:0 1rem}.grid section{margin:1rem 0 0}
        dl{display:grid;grid-template-columns:max-content 1fr;gap:.15rem .8rem;margin:0}dt{color:#404040}dd{margin:0;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}
        .state{display:inline-block;font-weight:700;padding:0 .45rem;border:2px solid;border-radius:4px}
        .ok{color:#0b5a1e;background:#e4f4e7}.warn{color:#6b4400;background:#fff3d6}.bad{color:#8a0f0f;background:#fde7e7}.none{color:#333;background:#eee}
        .banner{border-width:3px}.banner.bad{border-color:#8a0f0f}.banner.warn{border-color:#6b4400}.banner p{margin:.3rem 0}
        pre{background:#f1f1ef;color:#1a1a1a;padding:.6rem;overflow-x:auto;font-size:.8rem;white-space:pre-wrap;overflow-wrap:anywhere;margin:.4rem 0 0}
        .scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{text-align:left;padding:.25rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
        th{color:#333}a{color:#0645ad}figure{margin:0}figure svg{width:100%;height:auto;display:block}figcaption{font-size:.85rem;color:#404040}
        .muted{color:#4a4a4a}ul{margin:0;padding-left:1.1rem}img.chart{width:100%;max-width:900px;height:auto;margin-top:.4rem}
        @media (max-width:40rem){.stack thead{position:absolute;left:-9999px}.stack tr{display:block;border-bottom:1px solid #ccc;padding:.35rem 0}
        .stack th,.stack td{display:block;border:0;padding:.05rem 0}.stack td::before{content:attr(data-label) ": ";color:#404040}}
        """

    /// A table whose first column heads each row; below 40rem each row stacks into lines
    /// labelled by their column (the header stays for screen readers). `attributes` go on each
    /// row's `<tr>`.
    static func table(_ columns: [String], _ rows: [[String]], attributes: [String] = []) -> String {
        var html = "<div class=\"scroll\"><table class=\"stack\">\n<thead><tr>"
        for column in columns { html += "<th scope=\"col\">\(column)</th>" }
        html += "</tr></thead>\n<tbody>\n"
        for (index, row) in rows.enumerated() {
            let extra = index < attributes.count && !attributes[index].isEmpty ? " " + attributes[index] : ""
            html += "<tr\(extra)>"
            for (i, cell) in row.enumerated() {
                html += i == 0 ? "<th scope=\"row\">\(cell)</th>" : "<td data-label=\"\(columns[min(i, columns.count - 1)])\">\(cell)</td>"
            }
            html += "</tr>\n"
        }
        return html + "</tbody>\n</table></div>\n"
    }

    /// `HH:MM:SS` of a Unix time (UTC).
    static func clock(_ time: Double) -> String {
        let seconds = Int(time.rounded(.down)) % 86_400
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }
}
