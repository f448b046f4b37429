import KeelSidecar
import KeelTesting
import Testing

@Suite("Sidecar configuration, restart policy, log buffers", .ownThread, .keepsArtifacts)
struct ConfigurationTests {
    @Test("an empty file gives every default; fields override them")
    func defaultsAndOverrides() throws {
        let empty = try SidecarConfiguration.parse(yaml: "", executableDirectory: "/bin")
        #expect(empty == SidecarConfiguration.defaults(executableDirectory: "/bin"))
        #expect(empty.node.command == "/bin/keel-node")
        #expect(empty.health.interval == 5 && empty.stopTimeout == 10 && empty.logLines == 1_000)
        #expect(empty.restart.burst == 5 && empty.restart.burstWindow == 600 && empty.restart.resetAfter == 3_600)
        let config = try SidecarConfiguration.parse(
            yaml: """
                node:
                  command: /usr/bin/keel-node
                  arguments: [--dev, --data-dir, /tmp/x]
                  data_dir: /tmp/x
                health: {interval: 500ms, failures: 2, grace: 0s}
                restart: {initial_backoff: 1s, max_backoff: 1m, burst: 3, burst_window: 10m, reset_after: 1h}
                stop: {timeout: 2s}
                listen: 127.0.0.1:0
                """, executableDirectory: "/bin")
        #expect(config.node.arguments == ["--dev", "--data-dir", "/tmp/x"])
        #expect(config.health.interval == 0.5 && config.health.failures == 2 && config.health.grace == 0)
        #expect(config.restart.maxBackoff == 60 && config.restart.burst == 3)
        #expect(config.stopTimeout == 2 && config.listenPort == 0)
    }

    @Test("unknown and invalid fields are errors that name the field")
    func errorsNameTheField() {
        let cases: [(String, String)] = [
            ("node:\n  comand: x\n", "node.comand"),
            ("helth:\n  interval: 5s\n", "helth"),
            ("health:\n  interval: soon\n", "health.interval"),
            ("health:\n  failures: 0\n", "health.failures"),
            ("restart:\n  burst: -1\n", "restart.burst"),
            ("stop:\n  timeout: 0s\n", "stop.timeout"),
            ("listen: nowhere\n", "listen"),
            ("node: [1, 2]\n", "node"),
            ("restart:\n  initial_backoff: 10s\n  max_backoff: 1s\n", "max_backoff"),
            ("node:\n  arguments: {a: b}\n", "node.arguments"),
            (": : :\n", "YAML"),
            ("receivers:\n  - url: http://127.0.0.1:1/\n    url_file: /etc/hostname\n", "url or url_file, not both"),
            ("receivers:\n  - url: http://127.0.0.1:1/\n    secret: whsec_not*base64\n", "secret: starts with whsec_ but what follows is not base64"),
            ("receivers:\n  - url: http://127.0.0.1:1/\n    secret: whsec_c2hvcnQ=\n", "decodes to 5 bytes"),
        ]
        for (yaml, field) in cases {
            do {
                _ = try SidecarConfiguration.parse(yaml: yaml, executableDirectory: "/bin")
                Issue.record("accepted: \(yaml)")
            } catch {
                #expect("\(error)".contains(field), "\(error) does not name \(field)")
                #expect(!"\(error)".contains("not*base64") && !"\(error)".contains("c2hvcnQ"), "the error prints the secret: \(error)")
            }
        }
    }

    @Test("durations in every unit")
    func durations() {
        #expect(SidecarDuration.seconds("500ms") == 0.5)
        #expect(SidecarDuration.seconds("5s") == 5)
        #expect(SidecarDuration.seconds("10m") == 600)
        #expect(SidecarDuration.seconds("1h") == 3_600)
        #expect(SidecarDuration.seconds("7d") == 604_800)
        #expect(SidecarDuration.seconds("2.5") == 2.5)
        #expect(SidecarDuration.seconds("-1s") == nil)
        #expect(SidecarDuration.seconds("fast") == nil)
        #expect(SidecarDuration.format(600) == "10m" && SidecarDuration.format(0.25) == "250ms")
    }

    @Test("backoff doubles to the cap; the burst limit gives up; stable running resets the count")
    func restartPolicy() {
        var policy = RestartPolicy(settings: .init(initialBackoff: 1, maxBackoff: 8, burst: 5, burstWindow: 600, resetAfter: 3_600))
        var now = 0.0
        var delays = [Double]()
        for _ in 0..<4 {
            policy.started(at: now)
            now += 1
            guard case .restart(let delay) = policy.failed(at: now) else {
                Issue.record("gave up early")
                return
            }
            delays.append(delay)
            now += delay
        }
        #expect(delays == [1, 2, 4, 8])
        policy.started(at: now)
        guard case .giveUp(let reason) = policy.failed(at: now + 1) else {
            Issue.record("no give-up at the burst limit")
            return
        }
        #expect(reason.contains("5 starts"))

        // Starts spread beyond the window never hit the limit; an hour of stable running resets backoff.
        var calm = RestartPolicy(settings: .init(initialBackoff: 1, maxBackoff: 60, burst: 2, burstWindow: 10, resetAfter: 100))
        calm.started(at: 0)
        #expect(calm.failed(at: 1) == .restart(after: 1))
        calm.started(at: 20)
        #expect(calm.failed(at: 21) == .restart(after: 2))
        calm.started(at: 40)
        #expect(calm.failed(at: 200) == .restart(after: 1), "a long stable run did not reset the backoff")
    }

    @Test("log buffers keep the last lines; the redactor hides tokens and secrets")
    func logBuffersAndRedaction() {
        let buffer = LogBuffer(capacity: 3)
        for i in 0..<10 { buffer.append("line \(i)") }
        #expect(buffer.lines() == ["line 7", "line 8", "line 9"])
        #expect(buffer.lines(last: 2) == ["line 8", "line 9"])
        #expect(buffer.totalLines == 10)
        let redactor = Redactor(secrets: ["s3cr3t-token-value"])
        let text = redactor.redact("token s3cr3t-token-value; Authorization: Bearer abcdef; url?secret=xyz&x=1 password=hunter22")
        #expect(!text.contains("s3cr3t-token-value") && !text.contains("abcdef") && !text.contains("xyz") && !text.contains("hunter22"))
        #expect(text.contains("[REDACTED]") && text.contains("x=1"))
    }
}
