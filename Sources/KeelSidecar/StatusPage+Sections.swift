extension StatusPage {
    /// A titled section of term/value rows; `id` names it for tests and links.
    static func card(_ id: String, _ title: String, _ rows: [(String, String)]) -> String {
        var html = "<section id=\"\(id)\" aria-labelledby=\"\(id)-title\">\n<h2 id=\"\(id)-title\">\(title)</h2>\n<dl>\n"
        for (term, value) in rows { html += "<dt>\(term)</dt><dd>\(value)</dd>\n" }
        return html + "</dl>\n</section>\n"
    }

    /// A value the node has not reported (yet).
    static let unknown = "<span class=\"muted\">no reading</span>"

    static func nodeSection(_ model: Model) -> String {
        let c = condition(model)
        var rows: [(String, String)] = [("State", "<span class=\"state \(c.tone)\" data-state=\"\(c.word)\">\(c.word)</span>")]
        rows.append(("Uptime", model.uptime.map(duration) ?? "—"))
        rows.append(("Process", model.pid.map { "pid \($0)" } ?? "not running"))
        rows.append(("Version", model.readings.last?.version.map { HTML.escape($0) } ?? unknown))
        rows.append(("Restarts", "<span data-restarts=\"\(model.restarts)\">\(model.restarts)</span> since the sidecar started"))
        if model.exits.isEmpty {
            rows.append(("Exits", "none"))
        } else {
            var list = "<ul>"
            for exit in model.exits.prefix(5) {
                list += "<li>\(duration(model.now - exit.time)) ago: \(HTML.escape(exit.detail))</li>"
            }
            rows.append(("Last exits", list + "</ul>"))
        }
        return card("node", "Node", rows)
    }

    static func chainSection(_ model: Model, _ f: Figures) -> String {
        var rows = [(String, String)]()
        if let height = f.latest?.height {
            rows.append(("Height", "<span data-height=\"\(Int64(height))\">\(count(height))</span>"))
        } else {
            rows.append(("Height", unknown))
        }
        if let tip = f.latest?.tipTime {
            rows.append(("Tip age", duration(model.now - tip)))
        } else {
            rows.append(("Tip age", unknown))
        }
        rows.append(("Blocks per minute", f.blocksPerMinute.map { decimal($0.rate) + " <span class=\"muted\">(last \(duration($0.span)))</span>" } ?? unknown))
        return card("chain", "Chain", rows)
    }

    static func peersSection(_ model: Model) -> String {
        let latest = model.readings.last
        var rows = [(String, String)]()
        rows.append(("Inbound", latest?.inbound.map(count) ?? unknown))
        rows.append(("Outbound", latest?.outbound.map(count) ?? unknown))
        rows.append(("Best peer height", latest?.bestPeerHeight.map(count) ?? unknown))
        if let best = latest?.bestPeerHeight, let height = latest?.height, best > height {
            rows.append(("Behind", count(best - height) + " blocks"))
        }
        return card("peers", "Peers", rows)
    }

    static func miningSection(_ model: Model, _ f: Figures) -> String {
        var rows = [(String, String)]()
        if let active = f.latest?.miningActive {
            let word = active > 0 ? "ON" : "OFF"
            rows.append(("Mining", "<span class=\"state \(active > 0 ? "ok" : "none")\">\(word)</span>"))
        } else {
            rows.append(("Mining", unknown))
        }
        rows.append(("Threads", f.latest?.miningThreads.map(count) ?? unknown))
        if f.latest?.miningActive == 0 {
            rows.append(("Hash rate", "0 H/s <span class=\"muted\">(mining off)</span>"))
        } else {
            rows.append(("Hash rate", f.hashRate.map { rate($0.rate) + " <span class=\"muted\">(last \(duration($0.span)))</span>" } ?? unknown))
        }
        if let stop = f.stopLatency {
            rows.append((stop.last ? "Last stop took" : "Stops took (mean)", latency(stop.seconds)))
        } else {
            rows.append(("Last stop took", "<span class=\"muted\">no stop yet</span>"))
        }
        return card("mining", "Mining", rows)
    }
}
