import Foundation
import KeelSidecar
import KeelTesting
import Testing

@Suite("alert state machine, rules, payloads, signatures and retry policy", .ownThread, .keepsArtifacts)
struct AlertingTests {
    @Test("an alert goes pending, fires after `for`, repeats, and resolves")
    func stateMachine() {
        var state = AlertState()
        #expect(state.evaluate(active: true, now: 100, forDuration: 30, repeatInterval: 60) == nil)
        #expect(state.phase == .pending(since: 100))
        #expect(state.evaluate(active: true, now: 120, forDuration: 30, repeatInterval: 60) == nil)
        #expect(state.evaluate(active: true, now: 130, forDuration: 30, repeatInterval: 60) == .fire(startsAt: 100))
        #expect(state.evaluate(active: true, now: 150, forDuration: 30, repeatInterval: 60) == nil)
        #expect(state.evaluate(active: true, now: 190, forDuration: 30, repeatInterval: 60) == .repeatFiring(startsAt: 100))
        #expect(state.evaluate(active: false, now: 200, forDuration: 30, repeatInterval: 60) == .resolve(startsAt: 100, endsAt: 200))
        #expect(state.phase == .inactive)
        // A condition that clears while pending never notifies.
        #expect(state.evaluate(active: true, now: 300, forDuration: 30, repeatInterval: 60) == nil)
        #expect(state.evaluate(active: false, now: 310, forDuration: 30, repeatInterval: 60) == nil)
        #expect(state.phase == .inactive)
    }

    static func reading(
        time: Double, height: Double = 1, tip: Double? = nil, bestPeer: Double = 0, peers: Double = 3, growth: Double = 0,
        stop: [(Double, Double)] = []
    ) throws -> Sampler.Reading {
        var text = "keel_chain_height \(height)\nkeel_chain_tip_timestamp_seconds \(tip ?? time)\nkeel_p2p_best_peer_height \(bestPeer)\n"
        text += "keel_peers{direction=\"inbound\"} \(peers)\nkeel_process_rss_growth_ratio \(growth)\n"
        for (le, count) in stop { text += "keel_mining_stop_seconds_bucket{le=\"\(le == .infinity ? "+Inf" : String(le))\"} \(count)\n" }
        return Sampler.Reading(try MetricsText(text), time: time)
    }

    @Test("rules: an exit raises NodeRestarted (a warning, with the exit and the last lines) after `for`; NodeDown pages only while the node stays down")
    func nodeDownAndRestarted() {
        var engine = AlertEngine(
            rules: [AlertRule.defaults(.nodeDown), AlertRule.defaults(.nodeRestarted)], labels: ["instance": "n1"],
            repeatInterval: 0, generatorURL: "http://x/health")
        // The exit: both pending, nothing sent.
        #expect(engine.evaluate(.init(nodeUp: false, restartTimes: [1_000], exit: ("killed by SIGKILL", "stderr: boom")), now: 1_000).isEmpty)
        // The supervisor restarted it a second later: NodeDown's condition clears before its `for`.
        #expect(engine.evaluate(.init(nodeUp: true, restartTimes: [1_000]), now: 1_001).isEmpty)
        let fired = engine.evaluate(.init(nodeUp: true, restartTimes: [1_000]), now: 1_060)
        #expect(fired.map { $0.labels["alertname"] } == ["NodeRestarted"])
        #expect(fired.first?.labels == ["alertname": "NodeRestarted", "severity": "warning", "instance": "n1"])
        #expect(fired.first?.annotations["logs"] == "stderr: boom")
        #expect(fired.first?.annotations["exit"] == "killed by SIGKILL")
        #expect(fired.first?.annotations["runbook_url"] == "runbook/alerts/NodeRestarted.md")
        #expect(fired.first?.endsAt == Alert.zeroTime)
        // Resolved once the restart leaves the 15-minute window; the logs do not travel with it.
        let resolved = engine.evaluate(.init(nodeUp: true, restartTimes: [1_000]), now: 1_901)
        #expect(resolved.map(\.status) == ["resolved"])
        #expect(resolved.first?.annotations["logs"] == nil)
        #expect(resolved.first?.fingerprint == fired.first?.fingerprint)
        // Down and staying down: NodeDown (critical) after its minute.
        #expect(engine.evaluate(.init(nodeUp: false), now: 2_000).isEmpty)
        #expect(engine.evaluate(.init(nodeUp: false), now: 2_059).isEmpty)
        let paged = engine.evaluate(.init(nodeUp: false), now: 2_060)
        #expect(paged.map { $0.labels["alertname"] } == ["NodeDown"])
        #expect(paged.first?.labels["severity"] == "critical")
        #expect(engine.firing == ["NodeDown"])
    }

    @Test("a reload keeps what alerts have seen; a firing alert that is dropped or relabelled is resolved under its old labels and starts over")
    func reconfigure() throws {
        var rules = AlertRule.Kind.allCases.map { AlertRule.defaults($0) }
        for i in rules.indices { rules[i].forDuration = 0 }
        let peers = rules.filter { $0.kind == .peersLow }
        var engine = AlertEngine(rules: peers, labels: ["instance": "a"], repeatInterval: 0, generatorURL: "")
        let lonely = try AlertingTests.reading(time: 0, peers: 0)
        #expect(engine.evaluate(.init(nodeUp: true, readings: [lonely]), now: 1).map(\.status) == ["firing"])
        // Same labels, another threshold: nothing to send, still firing, no second notification.
        var raised = peers
        raised[0].threshold = 3
        #expect(engine.reconfigure(rules: raised, labels: ["instance": "a"], repeatInterval: 0, now: 2).isEmpty)
        #expect(engine.firing == ["PeersLow"])
        #expect(engine.evaluate(.init(nodeUp: true, readings: [lonely]), now: 3).isEmpty)
        // New labels: resolved under the old ones, then firing anew under the new ones.
        let relabelled = engine.reconfigure(rules: raised, labels: ["instance": "b"], repeatInterval: 0, now: 4)
        #expect(relabelled.map(\.status) == ["resolved"] && relabelled.first?.labels["instance"] == "a")
        let again = engine.evaluate(.init(nodeUp: true, readings: [lonely]), now: 5)
        #expect(again.map(\.status) == ["firing"] && again.first?.labels["instance"] == "b")
        // Disabled: resolved, and gone.
        var off = raised
        off[0].enabled = false
        #expect(engine.reconfigure(rules: off, labels: ["instance": "b"], repeatInterval: 0, now: 6).map(\.status) == ["resolved"])
        #expect(engine.firing.isEmpty && engine.evaluate(.init(nodeUp: true, readings: [lonely]), now: 7).isEmpty)
    }

    @Test("rules: crash loop by count and by the burst limit; peers, memory, tip age, mining stop p99")
    func otherRules() throws {
        var rules = AlertRule.Kind.allCases.map { AlertRule.defaults($0) }
        for i in rules.indices { rules[i].forDuration = 0 }
        var engine = AlertEngine(rules: rules.filter { $0.kind == .nodeCrashLooping }, repeatInterval: 0, generatorURL: "")
        let calm = try AlertingTests.reading(time: 0)
        #expect(engine.evaluate(.init(nodeUp: true, restartTimes: [1, 2], readings: [calm]), now: 10).isEmpty)
        #expect(
            engine.evaluate(.init(nodeUp: true, restartTimes: [1, 2, 3], readings: [calm]), now: 11).map { $0.labels["alertname"] } == ["NodeCrashLooping"])
        // Restarts older than the 15 m window are forgotten.
        #expect(engine.evaluate(.init(nodeUp: true, restartTimes: [1, 2, 3], readings: [calm]), now: 2_000).map(\.status) == ["resolved"])
        #expect(engine.evaluate(.init(nodeUp: false, suspended: true, readings: [calm]), now: 2_001).contains { $0.labels["alertname"] == "NodeCrashLooping" })

        var e2 = AlertEngine(rules: rules, repeatInterval: 0, generatorURL: "")
        let lonely = try AlertingTests.reading(time: 0, peers: 1, growth: 0.4)
        let names = Set(e2.evaluate(.init(nodeUp: true, readings: [lonely]), now: 1).compactMap { $0.labels["alertname"] })
        #expect(names == ["PeersLow", "MemoryGrowthHigh"])
        // The tip's own timestamp decides a stall: 900 s old with no peer ahead.
        let old = try AlertingTests.reading(time: 1_000, tip: 100, bestPeer: 1, peers: 1, growth: 0.4)
        #expect(e2.evaluate(.init(nodeUp: true, readings: [old]), now: 1_000).isEmpty)
        #expect(e2.evaluate(.init(nodeUp: true, readings: [old]), now: 1_001).compactMap { $0.labels["alertname"] } == ["ChainHeightStalled"])
        let fresh = try AlertingTests.reading(time: 1_002, height: 2, tip: 1_002, peers: 1, growth: 0.4)
        #expect(e2.evaluate(.init(nodeUp: true, readings: [old, fresh]), now: 1_002).map(\.status) == ["resolved"])
        // An old tip while a peer is far ahead is catching up, not a stall.
        var e4 = AlertEngine(rules: rules.filter { $0.kind == .chainHeightStalled }, repeatInterval: 0, generatorURL: "")
        let syncing = try AlertingTests.reading(time: 5_000, height: 10, tip: 0, bestPeer: 3_000)
        #expect(e4.evaluate(.init(nodeUp: true, readings: [syncing]), now: 5_000).isEmpty)

        // Mining stop p99 over the window: 99 of 100 stops within 50 ms, then slow ones arrive.
        var e3 = AlertEngine(rules: rules.filter { $0.kind == .miningStopSlow }, repeatInterval: 0, generatorURL: "")
        let fast = try AlertingTests.reading(time: 0, stop: [(0.05, 100), (1, 100), (5, 100), (.infinity, 100)])
        #expect(e3.evaluate(.init(nodeUp: true, readings: [fast]), now: 1).isEmpty)
        let slow = try AlertingTests.reading(time: 60, stop: [(0.05, 100), (1, 100), (5, 110), (.infinity, 110)])
        let alerts = e3.evaluate(.init(nodeUp: true, readings: [fast, slow]), now: 61)
        #expect(alerts.map(\.status) == ["firing"])
        #expect(alerts.first?.annotations["description"]?.contains("p99 mining stop") == true)
    }

    @Test("the Prometheus text format: labels with escapes, histograms, special values, bad lines")
    func metricsText() throws {
        let text = try MetricsText(
            """
            # HELP x_total A counter.
            # TYPE x_total counter
            x_total{path="/a\\"b\\\\c\\nd",code="200"} 7
            x_total{path="/e",code="500"} 3 1700000000000
            g -Inf
            h NaN
            lat_bucket{le="0.1"} 2
            lat_bucket{le="1"} 6
            lat_bucket{le="+Inf"} 8
            lat_sum 3.5
            lat_count 8
            """)
        #expect(text.types["x_total"] == "counter")
        #expect(text.value("x_total", ["path": "/a\"b\\c\nd"]) == 7)
        #expect(text.sum("x_total") == 10)
        #expect(text.value("g") == -.infinity)
        #expect(text.value("h")?.isNaN == true)
        let buckets = text.buckets("lat")
        #expect(buckets.map(\.le) == [0.1, 1, .infinity])
        // Median: rank 4 falls in (0.1, 1]: 0.1 + 0.9 * (4 - 2) / 4.
        #expect(abs((MetricsText.quantile(0.5, buckets: buckets) ?? 0) - 0.55) < 1e-9)
        #expect(MetricsText.quantile(0.99, buckets: buckets) == 1)  // in +Inf: the highest finite bound
        #expect(MetricsText.quantile(0.5, buckets: []) == nil)
        for bad in ["x{a=\"1\" 2", "x{a=1} 2", "1x 2", "x", "x{a=\"1\"} two"] {
            #expect(throws: SidecarError.self, "\(bad)") { try MetricsText(bad) }
        }
    }

    @Test("Alertmanager v4 body and the Slack text body")
    func payloads() throws {
        let alert = Alert(
            firing: true, labels: ["alertname": "NodeDown", "severity": "critical"],
            annotations: ["summary": "down", "runbook_url": "runbook/alerts/NodeDown.md", "logs": "line"],
            startsAt: 1_700_000_000.5, endsAt: nil, generatorURL: "http://127.0.0.1:9335/health")
        let payload = AlertmanagerPayload(alert: alert, receiver: "ops", externalURL: "http://127.0.0.1:9335")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(payload.encoded())) as? [String: Any])
        #expect(json["version"] as? String == "4")
        #expect(json["status"] as? String == "firing")
        #expect(json["receiver"] as? String == "ops")
        #expect(json["groupKey"] as? String == "{}:{alertname=\"NodeDown\"}")
        #expect((json["groupLabels"] as? [String: String]) == ["alertname": "NodeDown"])
        let alerts = try #require(json["alerts"] as? [[String: Any]])
        #expect(alerts.first?["startsAt"] as? String == "2023-11-14T22:13:20.500Z")
        #expect(alerts.first?["endsAt"] as? String == "0001-01-01T00:00:00Z")
        #expect((alerts.first?["fingerprint"] as? String)?.count == 16)
        let slack = try #require(try JSONSerialization.jsonObject(with: Data(payload.slackBody())) as? [String: String])
        #expect(slack["text"]?.hasPrefix("[FIRING] NodeDown (critical): down") == true)
    }

    @Test("Standard Webhooks signature matches the specification's example")
    func signature() {
        let signer = WebhookSigner(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let header = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body)
        #expect(header == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(signer.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body, header: "v1,bogus " + header))
        #expect(!signer.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_331, body: body, header: header))
    }

    @Test("delivery policy: 2xx done, other 4xx final, 5xx and 429 retried with capped backoff, Retry-After honoured, max age")
    func deliveryPolicy() {
        let policy = DeliveryPolicy(initialBackoff: 1, maxBackoff: 60, maxAge: 3_600)
        #expect(policy.decide(status: 204, retryAfter: nil, attempts: 1, created: 0, now: 0, jitter: 0.5) == .delivered)
        #expect(policy.decide(status: 404, retryAfter: nil, attempts: 1, created: 0, now: 0, jitter: 0.5) == .giveUp("the receiver answered 404"))
        #expect(policy.decide(status: 503, retryAfter: nil, attempts: 1, created: 0, now: 0, jitter: 0.5) == .retry(at: 1))
        #expect(policy.decide(status: nil, retryAfter: nil, attempts: 3, created: 0, now: 0, jitter: 0.5) == .retry(at: 4))
        #expect(policy.decide(status: 500, retryAfter: nil, attempts: 30, created: 0, now: 0, jitter: 0.5) == .retry(at: 60))
        // Jitter spreads the delay by up to 20% each way.
        #expect(policy.decide(status: 500, retryAfter: nil, attempts: 2, created: 0, now: 0, jitter: 0) == .retry(at: 1.6))
        #expect(policy.decide(status: 429, retryAfter: "7", attempts: 1, created: 0, now: 100, jitter: 0.5) == .retry(at: 107))
        let date = "Wed, 21 Oct 2015 07:28:00 GMT"
        #expect(DeliveryPolicy.retryAfterSeconds(date, now: 1_445_412_470) == 10)
        if case .giveUp = policy.decide(status: 500, retryAfter: nil, attempts: 9, created: 0, now: 3_599, jitter: 0.5) {
        } else {
            Issue.record("an entry past max_age must be given up")
        }
    }
}
