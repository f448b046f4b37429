import Foundation
import KeelSidecar
import KeelTesting
import Testing

@Suite("soaks against real dev nodes")
struct SoakProcessTests {
    @Test("the memory judgement: a flat line passes, a steady climb fails by slope, a jump fails by the worst sample")
    func judgement() throws {
        let flat = (0..<100).map { (t: Double($0), rss: 100 + Double($0 % 2)) }
        let ok = try #require(MemoryJudgement.judge(flat, warmup: 10, maxGrowth: 0.05))
        #expect(ok.passed)
        #expect(ok.measuredSamples == 90)
        let climb = (0..<100).map { (t: Double($0), rss: 100 + Double($0) * 0.2) }
        let leak = try #require(MemoryJudgement.judge(climb, warmup: 10, maxGrowth: 0.05))
        #expect(!leak.passed)
        #expect(abs(leak.slopeBytesPerSecond - 0.2) < 1e-9)
        var spike = flat
        spike[50].rss = 120
        let jump = try #require(MemoryJudgement.judge(spike, warmup: 10, maxGrowth: 0.05))
        #expect(jump.slopeGrowth < 0.05 && !jump.passed)
        #expect(MemoryJudgement.judge(flat, warmup: 99, maxGrowth: 0.05) == nil)
    }

    /// Runs `keel-sidecar soak ...` and returns its exit status, output and parsed report.
    static func soak(_ arguments: [String], directory: TemporaryDirectory) async throws -> (status: Int32, output: String, report: [String: Any]) {
        let reportDir = directory.path + "/report"
        let result = try await Poll.run(Binaries.path("keel-sidecar"), ["soak"] + arguments + [
            "--node", Binaries.path("keel-node"), "--report-dir", reportDir, "--listen", "127.0.0.1:0"], timeout: 600)
        let data = try #require(FileManager.default.contents(atPath: reportDir + "/report.json"), "no report: \(result.output)")
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let svg = try String(contentsOfFile: reportDir + "/chart.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("<polyline"), "the chart is an SVG with a line")
        return (result.status, result.output, report)
    }

    @Test("the compressed memory soak passes on a healthy node and fails, with an alert, on a node built to leak")
    func memorySoaks() async throws {
        let receiver = TestReceiver()
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        let leakyDir = TemporaryDirectory("soak-leaky"), healthyDir = TemporaryDirectory("soak-healthy")
        let config = leakyDir.path + "/sidecar.yaml"
        try """
            receivers:
              - name: ops
                url: \(receiver.url)
                secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
            state_dir: \(leakyDir.path)/state
            """.write(toFile: config, atomically: true, encoding: .utf8)
        // The compressed run: RSS after a 40 s warm-up may grow 15% (bounded caches still fill
        // in the first minutes; the 7-day run is judged at 5%). The leak adds 1 MiB a second.
        let common = ["--duration", "2m", "--warmup", "40s", "--max-growth", "15%"]
        async let healthy = SoakProcessTests.soak(["memory"] + common, directory: healthyDir)
        async let leaky = SoakProcessTests.soak(["memory"] + common + ["--config", config, "--node-arg=--test-leak-kib-per-second", "--node-arg=1024"],
                                                directory: leakyDir)
        let (good, bad) = try await (healthy, leaky)

        #expect(good.status == 0, "\(good.output.suffix(1_500))")
        #expect(good.report["passed"] as? Bool == true)
        let goodJudgement = try #require(good.report["judgement"] as? [String: Any])
        #expect((goodJudgement["measuredSamples"] as? Int ?? 0) >= 20)
        #expect(good.output.contains("soak memory:"), "progress is shown while it runs")
        #expect((good.report["paymentsSubmitted"] as? Int ?? 0) > 10, "the workload submitted payments")

        #expect(bad.status == 1, "\(bad.output.suffix(1_500))")
        #expect(bad.report["passed"] as? Bool == false)
        #expect(bad.output.contains("soak memory FAILED"))
        #expect(bad.output.contains("SoakFailed alert delivered"))
        let alert = try #require(receiver.accepted.first { $0.alertname == "SoakFailed" })
        #expect(WebhookProcessTests.verifies(alert))
        #expect(String(decoding: alert.body, as: UTF8.self).contains("memory soak failed"))
    }

    @Test("a mining soak of 200 cycles passes: every stop is quick, hashing resumes, threads, fds and RSS stay at baseline")
    func miningSoak() async throws {
        let dir = TemporaryDirectory("soak-mining")
        let result = try await SoakProcessTests.soak(["mining", "--cycles", "200"], directory: dir)
        #expect(result.status == 0, "\(result.output.suffix(1_500))")
        #expect(result.report["passed"] as? Bool == true)
        #expect(result.report["cyclesCompleted"] as? Int == 200)
        let cycles = try #require(result.report["cycles"] as? [[String: Any]])
        #expect(cycles.count == 200)
        #expect(cycles.allSatisfy { ($0["resumeSeconds"] as? Double ?? 99) < 10 })
        #expect((result.report["stopMaxSeconds"] as? Double ?? 99) < 1)
    }
}
