import Foundation
import KeelSidecar
import KeelTesting
import Testing

@Suite("soaks against real dev nodes", .keepsArtifacts)
struct SoakProcessTests {
    @Test("the memory judgement: a flat line passes, a steady climb fails by slope, a step that lasts fails by the worst sample, a one-sample blip does not")
    func judgement() throws {
        let flat = (0..<100).map { (t: Double($0), rss: 100 + Double($0 % 2)) }
        let ok = try #require(MemoryJudgement.judge(flat, warmup: 10, maxGrowth: 0.05))
        #expect(ok.passed)
        #expect(ok.measuredSamples == 90)
        let climb = (0..<100).map { (t: Double($0), rss: 100 + Double($0) * 0.2) }
        let leak = try #require(MemoryJudgement.judge(climb, warmup: 10, maxGrowth: 0.05))
        #expect(!leak.passed)
        #expect(abs(leak.slopeBytesPerSecond - 0.2) < 1e-9)
        var step = flat
        step[50].rss = 120
        step[51].rss = 120
        let jump = try #require(MemoryJudgement.judge(step, warmup: 10, maxGrowth: 0.05))
        #expect(jump.slopeGrowth < 0.05 && !jump.passed)
        var blip = flat
        blip[50].rss = 120
        let transient = try #require(MemoryJudgement.judge(blip, warmup: 10, maxGrowth: 0.05))
        #expect(transient.passed, "one sample is a transient, not growth")
        #expect(MemoryJudgement.judge(flat, warmup: 99, maxGrowth: 0.05) == nil)
    }

    /// Runs `keel-sidecar soak ...` and returns its exit status, output and parsed report.
    static func soak(_ arguments: [String], directory: TemporaryDirectory) async throws -> (status: Int32, output: String, report: [String: Any]) {
        let reportDir = directory.path + "/report"
        let result = try await Poll.run(
            Binaries.path("keel-sidecar"),
            ["soak"] + arguments + [
                "--node", Binaries.path("keel-node"), "--report-dir", reportDir, "--listen", "127.0.0.1:0",
            ], timeout: 600)
        let data = try #require(FileManager.default.contents(atPath: reportDir + "/report.json"), "no report: \(result.output)")
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let svg = try String(contentsOfFile: reportDir + "/chart.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("<polyline"), "the chart is an SVG with a line")
        return (result.status, result.output, report)
    }

    @Test("the compressed memory soak passes on a healthy node and fails, with an alert, on a node built to leak")
    func memorySoaks() async throws {
        try await TestReceiver.running { receiver in
            let leakyDir = TemporaryDirectory("soak-leaky"), healthyDir = TemporaryDirectory("soak-healthy")
            let config = leakyDir.path + "/sidecar.yaml"
            try """
            receivers:
              - name: ops
                url: \(receiver.url)
                secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
            state_dir: \(leakyDir.path)/state
            """.write(toFile: config, atomically: true, encoding: .utf8)
            // The compressed run, judged at 5% on unaccounted RSS like the 7-day one: long enough for
            // a dev node to store thousands of blocks, so growth per block (a header index loaded whole
            // grew about 550 bytes a block) would show. The leaky node adds 1 MiB a second.
            let healthyArgs = ["--duration", "5m", "--warmup", "1m", "--max-growth", "5%"]
            let leakyArgs = ["--duration", "2m", "--warmup", "40s", "--max-growth", "5%"]
            async let healthy = SoakProcessTests.soak(["memory"] + healthyArgs, directory: healthyDir)
            async let leaky = SoakProcessTests.soak(
                ["memory"] + leakyArgs + ["--config", config, "--node-arg=--test-leak-kib-per-second", "--node-arg=1024"],
                directory: leakyDir)
            let (good, bad) = try await (healthy, leaky)

            #expect(good.status == 0, "\(good.output.suffix(1_500))")
            #expect(good.report["passed"] as? Bool == true)
            let goodJudgement = try #require(good.report["judgement"] as? [String: Any])
            #expect((goodJudgement["measuredSamples"] as? Int ?? 0) >= 100)
            #expect(good.report["rawJudgement"] is [String: Any], "raw RSS is judged beside it, for comparison")
            #expect(good.output.contains("soak memory:"), "progress is shown while it runs")
            #expect((good.report["paymentsSubmitted"] as? Int ?? 0) > 100, "the workload submitted payments")
            let blocks = good.report["blocks"] as? Double ?? 0
            #expect(blocks >= 1_500, "the run covered \(blocks) blocks")
            #expect(abs((good.report["mainNetDays"] as? Double ?? 0) - blocks * 60 / 86_400) < 1e-6)
            let samples = try #require(good.report["samples"] as? [[String: Any]])
            // The window fills in the first 256 heights (about 26 s on dev), then stays as the chain grows.
            let windows = Set(samples.filter { ($0["t"] as? Double ?? 0) >= 60 }.compactMap { $0["headerWindow"] as? Double })
            #expect(windows.count == 1 && (windows.first ?? 0) > 0, "the header window is fixed after warm-up while the chain grows: \(windows.sorted())")
            #expect(samples.allSatisfy { $0["unaccounted"] is Double }, "the node reports its unaccounted RSS")

            #expect(bad.status == 1, "\(bad.output.suffix(1_500))")
            #expect(bad.report["passed"] as? Bool == false)
            #expect(bad.output.contains("soak memory FAILED"))
            #expect(bad.output.contains("SoakFailed alert delivered"))
            let alert = try #require(receiver.accepted.first { $0.alertname == "SoakFailed" })
            #expect(WebhookProcessTests.verifies(alert))
            #expect(String(decoding: alert.body, as: UTF8.self).contains("memory soak failed"))
        }
    }

    @Test("a memory soak whose sidecar is SIGKILLed resumes from its samples when run again with the same --report-dir")
    func memorySoakResumes() async throws {
        let dir = TemporaryDirectory("soak-resume")
        let reportDir = dir.path + "/report"
        let args = [
            "soak", "memory", "--duration", "50s", "--warmup", "8s", "--max-growth", "50%", "--node", Binaries.path("keel-node"),
            "--report-dir", reportDir, "--listen", "127.0.0.1:0",
        ]
        let first = try ChildProcess(Binaries.path("keel-sidecar"), args)
        let sampled = await Poll.holds(within: 120) {
            ((try? String(contentsOfFile: reportDir + "/samples.jsonl", encoding: .utf8)) ?? "").split(separator: "\n").count >= 14
        }
        #expect(sampled, "no samples: \(first.output.suffix(10))")
        first.send(SIGKILL)
        _ = await first.waitForExit(timeout: 10)

        let other = try await Poll.run(Binaries.path("keel-sidecar"), args.map { $0 == "50s" ? "1m" : $0 }, timeout: 60)
        #expect(other.status != 0 && other.output.contains("cannot resume"), "\(other.output)")

        let resumed = try await Poll.run(Binaries.path("keel-sidecar"), args, timeout: 180)
        #expect(resumed.status == 0, "\(resumed.output.suffix(1_500))")
        #expect(resumed.output.contains("resuming"), "\(resumed.output.prefix(600))")
        let data = try #require(FileManager.default.contents(atPath: reportDir + "/report.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let segments = try #require(report["segments"] as? [[String: Any]])
        #expect(segments.count == 2)
        let samples = try #require(report["samples"] as? [[String: Any]])
        let times = samples.compactMap { $0["t"] as? Double }
        #expect(samples.filter { $0["segment"] as? Int == 0 }.count >= 14, "the first run's samples are kept")
        #expect(times == times.sorted() && (times.last ?? 0) >= 45, "one time axis from the first start: \(times.last ?? 0)")

        let again = try await Poll.run(Binaries.path("keel-sidecar"), args, timeout: 60)
        #expect(again.status != 0 && again.output.contains("has finished"), "\(again.output)")
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
