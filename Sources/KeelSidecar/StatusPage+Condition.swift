extension StatusPage {
    /// The node's condition in one word and one line, and the class that colours it.
    struct Condition {
        var word: String
        var headline: String
        var tone: String
    }

    static func condition(_ model: Model) -> Condition {
        switch model.phase {
        case .running:
            if model.healthy { return Condition(word: "UP", headline: "node up", tone: "ok") }
            return Condition(word: "NOT ANSWERING", headline: "node started, not answering its health check", tone: "warn")
        case .starting:
            return Condition(word: "STARTING", headline: "node starting", tone: "warn")
        case .backoff:
            return Condition(word: "DOWN", headline: "node down, restarting", tone: "bad")
        case .suspended:
            return Condition(word: "CRASH-LOOPING", headline: "node crash-looping, restarts stopped", tone: "bad")
        case .stopping, .stopped:
            return Condition(word: "STOPPED", headline: "node stopped (the sidecar is shutting down)", tone: "none")
        }
    }

    /// At the top when the node is not simply up: what happened, what happens next, and the
    /// node's last lines (redacted by the caller, as the alerts are).
    static func banner(_ model: Model) -> String {
        let c = condition(model)
        var notes = [String]()
        switch model.phase {
        case .running where model.healthy:
            if let latest = model.readings.last, model.now - latest.time > max(15, 3 * model.scrapeInterval) {
                let html = "<section class=\"banner warn\" aria-labelledby=\"condition\"><h2 id=\"condition\"><span class=\"state warn\">STALE</span> "
                return html
                    + "No metrics from the node for \(duration(model.now - latest.time))</h2><p>The figures below are from \(HTML.escape(clock(latest.time))) UTC.</p></section>\n"
            }
            return ""
        case .running:
            notes.append(
                "The node runs (pid \(model.pid.map { String($0) } ?? "?")) but its <code>/health</code> does not answer yet; the supervisor restarts it if that lasts past the grace period."
            )
        case .starting:
            notes.append("The supervisor is starting the node.")
        case .backoff:
            if let at = model.restartAt { notes.append("The supervisor restarts it in \(duration(max(0, at - model.now))).") }
        case .suspended:
            notes.append("It went down \(model.restarts) time\(model.restarts == 1 ? "" : "s") too quickly, so the supervisor stopped restarting it.")
            notes.append(
                "What to do: read the lines below and the runbook (NodeCrashLooping), fix the cause, then restart the sidecar (<code>systemctl restart keel-sidecar</code>, or Ctrl-C and <code>make run</code>)."
            )
        case .stopping, .stopped:
            notes.append("The sidecar is shutting down and has stopped the node.")
        }
        var html = "<section class=\"banner \(c.tone)\" aria-labelledby=\"condition\">\n"
        html += "<h2 id=\"condition\">Node is <span class=\"state \(c.tone)\">\(c.word)</span></h2>\n"
        if let exit = model.exits.first {
            html += "<p>Last exit, \(duration(model.now - exit.time)) ago: <strong>\(HTML.escape(exit.detail))</strong></p>\n"
        }
        for note in notes { html += "<p>\(note)</p>\n" }
        if model.phase != .running || !model.healthy, !model.logLines.isEmpty {
            html += "<h3>The node's last lines</h3>\n<pre>\(HTML.escape(model.logLines.joined(separator: "\n")))</pre>\n"
        }
        return html + "</section>\n"
    }
}
