import Foundation
import KeelSidecar
import KeelTesting
import Testing
import Yams

/// The one alert model: the Prometheus rules and the sidecar's rules, rendered from the
/// monitoring mixin, agree field by field, and what is committed is what the mixin renders.
@Suite("one alert model: the mixin, the Prometheus rules and the sidecar agree", .ownThread, .keepsArtifacts)
struct AlertModelTests {
    static let root = OperationsAssetsTests.root

    /// The alerting rules of prometheus/rules/alerts.yml by name.
    static func prometheusAlerts() throws -> [String: [String: Any]] {
        let text = try String(contentsOfFile: root + "/prometheus/rules/alerts.yml", encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        let groups = try #require(document["groups"] as? [[String: Any]])
        var rules = [String: [String: Any]]()
        for group in groups {
            for rule in group["rules"] as? [[String: Any]] ?? [] {
                if let name = rule["alert"] as? String { rules[name] = rule }
            }
        }
        return rules
    }

    /// Prometheus's duration text (`15m`, `1h`, `30s`) in seconds.
    static func seconds(_ text: String) -> Double? { SidecarDuration.seconds(text) }

    /// A figure as the mixin prints it in an expression: `900`, `0.25`.
    static func figure(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    @Test("every sidecar alert Prometheus also raises has the same name, for, severity, summary, runbook page, threshold and window")
    func agreement() throws {
        let prometheus = try AlertModelTests.prometheusAlerts()
        let shared = AlertRule.Kind.allCases.filter(\.alsoInPrometheus)
        #expect(shared.count == AlertRule.Kind.allCases.count - 1, "only SoakFailed is the sidecar's alone")
        for kind in shared {
            let rule = AlertRule.defaults(kind)
            let theirs = try #require(prometheus[kind.rawValue], "\(kind.rawValue) is not in prometheus/rules/alerts.yml")
            let expr = theirs["expr"] as? String ?? ""
            let labels = theirs["labels"] as? [String: String] ?? [:]
            let annotations = theirs["annotations"] as? [String: String] ?? [:]
            #expect(AlertModelTests.seconds(theirs["for"] as? String ?? "") == rule.forDuration, "\(kind.rawValue): for")
            #expect(labels == ["severity": rule.severity], "\(kind.rawValue): labels \(labels)")
            #expect(annotations["summary"] == rule.summary, "\(kind.rawValue): summary")
            #expect(annotations["runbook_url"] == rule.runbookURL, "\(kind.rawValue): runbook_url")
            // The threshold appears as the comparison's right-hand side, the window as a range.
            if kind != .nodeDown {
                #expect(
                    expr.contains("> \(AlertModelTests.figure(rule.threshold))") || expr.contains(">= \(AlertModelTests.figure(rule.threshold))")
                        || expr.contains("< \(AlertModelTests.figure(rule.threshold))"), "\(kind.rawValue): threshold \(rule.threshold) in \(expr)")
            }
            if rule.window > 0 {
                #expect(expr.contains("[\(SidecarDuration.format(rule.window))]"), "\(kind.rawValue): window \(SidecarDuration.format(rule.window)) in \(expr)")
            }
            // One node is named by the instance label alone, in both pipelines: the expression
            // aggregates to it, so no job or other target label reaches the alert.
            #expect(expr.contains("by (instance"), "\(kind.rawValue): \(expr)")
        }
    }

    @Test("every Prometheus alert has a for, a severity, a summary, a description and its runbook page with the same severity")
    func everyAlert() throws {
        let prometheus = try AlertModelTests.prometheusAlerts()
        #expect(prometheus.count >= 21)
        for (name, rule) in prometheus {
            #expect(rule["for"] is String, "\(name) has no for")
            let severity = (rule["labels"] as? [String: String])?["severity"] ?? ""
            #expect(["critical", "warning", "info"].contains(severity), "\(name): severity \(severity)")
            let annotations = rule["annotations"] as? [String: String] ?? [:]
            #expect(annotations["summary"] != nil && annotations["description"] != nil, "\(name)")
            let page = try String(contentsOfFile: AlertModelTests.root + "/" + (annotations["runbook_url"] ?? "-"), encoding: .utf8)
            #expect(page.contains("**Severity:** \(severity)."), "\(name)'s runbook page states another severity")
        }
        // Only the dead man's switch fires at once; everything else waits out a blip.
        let immediate = prometheus.filter { SidecarDuration.seconds($0.value["for"] as? String ?? "") == 0 }.map(\.key)
        #expect(immediate == ["Watchdog"])
    }

    @Test("the committed rules, dashboards and sidecar model are what the mixin renders (make mixin)")
    func renderedFilesAreCurrent() async throws {
        let result = try await Poll.run(AlertModelTests.root + "/scripts/render-mixin", ["--check"], timeout: 300)
        #expect(result.status == 0, "\(result.output)")
    }

    @Test("every stat panel says what its colours mean: thresholds (or words for states), or no colour at all")
    func statPanelsHaveThresholds() throws {
        var checked = 0
        for file in ["keel-node.json", "keel-sidecar.json"] {
            let data = try #require(FileManager.default.contents(atPath: AlertModelTests.root + "/grafana/dashboards/" + file))
            let board = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            for panel in board["panels"] as? [[String: Any]] ?? [] where panel["type"] as? String == "stat" {
                checked += 1
                let title = panel["title"] as? String ?? "?"
                let config = panel["fieldConfig"] as? [String: Any] ?? [:]
                let defaults = config["defaults"] as? [String: Any] ?? [:]
                let overridden = (config["overrides"] as? [[String: Any]] ?? []).flatMap { $0["properties"] as? [[String: Any]] ?? [] }
                    .compactMap { $0["id"] as? String }
                let uncoloured = (panel["options"] as? [String: Any])?["colorMode"] as? String == "none"
                #expect(uncoloured || defaults["thresholds"] != nil || overridden.contains("thresholds"), "\(file) \(title): coloured without thresholds")
                if overridden.contains("thresholds"), !overridden.contains("mappings") {
                    Issue.record("\(file) \(title): a state coloured without its words")
                }
            }
        }
        #expect(checked >= 7)
    }
}
