import ArgumentParser
import Foundation
import Hummingbird
import KeelSidecar
import Logging
import ServiceLifecycle

struct SoakCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Long runs that prove the node stays healthy: memory stability, mining start/stop cycles.",
        discussion: """
            Each soak starts its own dev node (loopback ports chosen by the kernel), shows progress while it runs, \
            and writes report.json (every figure) and chart.svg into its report directory. A failed soak exits 1 \
            and, with --config naming receivers, sends a SoakFailed alert. While it runs, --listen serves \
            /metrics with keel_sidecar_soak_progress_ratio.
            """,
        subcommands: [MemorySoakCommand.self, MiningSoakCommand.self])
}

/// Options every soak takes.
struct SoakCommonOptions: ParsableArguments {
    @Option(name: .long, help: "keel-node to run (default: beside keel-sidecar).") var node: String?
    @Option(name: .long, parsing: .unconditionalSingleValue, help: "An extra keel-node argument (repeatable), e.g. --node-arg=--log-level --node-arg=debug.")
    var nodeArg: [String] = []
    @Option(name: .long, help: "A sidecar configuration: its receivers get SoakFailed; its state_dir holds reports and the outbox.") var config: String?
    @Option(name: .long, help: "Where to write the report (default: STATE_DIR/soak/<soak>-<time>).") var reportDir: String?
    @Option(name: .long, help: "Serve /metrics and /health here while running, HOST:PORT (port 0 picks one).") var listen: String = "127.0.0.1:9336"

    func loadConfiguration() throws -> SidecarConfiguration {
        guard let config else { return SidecarConfiguration.defaults(executableDirectory: executableDirectory()) }
        do { return try SidecarConfiguration.load(path: config, executableDirectory: executableDirectory()) } catch {
            throw fail("\(error)", code: 2)
        }
    }

    func directory(_ soak: String, _ configuration: SidecarConfiguration) -> String {
        if let reportDir { return reportDir }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return configuration.stateDirectory + "/soak/\(soak)-\(formatter.string(from: Date()))"
    }

    var nodeCommand: String { node ?? executableDirectory() + "/keel-node" }

    /// Runs `body` with a metrics endpoint up, then reports, alerts on failure, and exits.
    /// Prints each progress line as it comes (a soak runs for hours) and moves the soak's gauge.
    static func progress(_ soak: String, _ metrics: SidecarMetrics) -> @Sendable (String, Double) -> Void {
        { line, ratio in
            metrics.setSoakProgress(soak, ratio)
            print(line)
            fflush(nil)
        }
    }

    func run(
        soak: String, configuration: SidecarConfiguration, directory: String,
        body: @escaping @Sendable (SidecarMetrics) async throws -> (passed: Bool, failure: String?, write: @Sendable () throws -> (json: String, svg: String))
    ) async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "keel-sidecar")
        logger.logLevel = .notice
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
            throw fail("--listen must be HOST:PORT", code: 2)
        }
        let metrics = SidecarMetrics()
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: metrics.renderProcess())))
            response.headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return response
        }
        router.get("/health") { _, _ in "ok\n" }
        var quiet = logger
        quiet.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname(String(listen[..<colon]), port: port), serverName: "keel-sidecar-soak"),
            onServerRunning: { channel in
                print("keel-sidecar: soak \(soak) metrics http://\(listen[..<colon]):\(channel.localAddress?.port ?? 0)/metrics")
                fflush(nil)
            }, logger: quiet)
        print("keel-sidecar: soak \(soak) writing to \(directory)")
        fflush(nil)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: quiet))
        let server = Task { try await group.run() }
        let result: Result<(passed: Bool, failure: String?, write: @Sendable () throws -> (json: String, svg: String)), any Error>
        do { result = .success(try await body(metrics)) } catch { result = .failure(error) }
        await group.triggerGracefulShutdown()
        do {
            try await server.value
        } catch {
            // The report server ends with the soak; the soak's own result is what counts.
        }
        let outcome: (passed: Bool, failure: String?, write: @Sendable () throws -> (json: String, svg: String))
        switch result {
        case .success(let value): outcome = value
        case .failure(let error): throw fail("the \(soak) soak could not run: \(error)", code: 1)
        }
        let paths: (json: String, svg: String)
        do { paths = try outcome.write() } catch { throw fail("\(error)", code: 1) }
        print("keel-sidecar: report \(paths.json)")
        print("keel-sidecar: chart  \(paths.svg)")
        if outcome.passed {
            print("keel-sidecar: soak \(soak) PASSED")
            fflush(nil)
            return
        }
        let failure = outcome.failure ?? "unknown"
        print("keel-sidecar: soak \(soak) FAILED: \(failure)")
        fflush(nil)
        let alerted = await SoakOutcome.alert(soak: soak, failure: failure, report: paths.json, configuration: configuration, logger: logger)
        if !configuration.receivers.isEmpty {
            print(alerted ? "keel-sidecar: SoakFailed alert delivered" : "keel-sidecar: SoakFailed alert queued in the outbox (not yet delivered)")
        }
        fflush(nil)
        throw ExitCode(1)
    }
}

struct MemorySoakCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Run a dev node under a steady workload and judge its memory growth after warm-up.",
        discussion: """
            The verdict is on unaccounted RSS: RSS minus what the node's bounded parts hold (RocksDB block cache \
            and memtables, the header window, the mempool, peer send queues), which fill up to their limits and \
            stop. Growth is judged twice against --max-growth: the least-squares slope over the measured span, \
            and the worst lasting sample (the median of it and its neighbours), both relative to the baseline \
            (the median of the first samples after warm-up). The report and chart show raw RSS beside it, and how many blocks, payments and main-net \
            days of blocks the run covered. '--duration 7d' is the real run; '--duration 2m' a compressed one.

            Restarted with the same --report-dir (and options), an unfinished soak resumes: the node starts \
            again on its data, its samples form a new segment with its own warm-up, and the run ends when the \
            duration has passed since the first start. Samples are taken at most once a minute (about 10,000 \
            lines in 7 days); the soak stops if the disk holding it has less than 1 GiB free.
            """)
    @Option(name: .long, help: "How long to run: 2m, 1h, 7d.") var duration: String = "7d"
    @Option(name: .long, help: "Warm-up before the baseline (default: a quarter of the duration, at most 1h).") var warmup: String?
    @Option(name: .long, help: "Allowed growth, e.g. 5% or 0.05.") var maxGrowth: String = "5%"
    @OptionGroup var common: SoakCommonOptions

    func run() async throws {
        guard let seconds = SidecarDuration.seconds(duration), seconds >= 10 else { throw fail("--duration must be a duration of at least 10s", code: 2) }
        let warm = try warmup.map { text -> Double in
            guard let w = SidecarDuration.seconds(text), w < seconds else { throw fail("--warmup must be a duration shorter than --duration", code: 2) }
            return w
        }
        guard let growth = parseRatio(maxGrowth) else { throw fail("--max-growth must look like 5% or 0.05", code: 2) }
        let configuration = try common.loadConfiguration()
        let directory = common.directory("memory", configuration)
        var options = MemorySoak.Options(nodeCommand: common.nodeCommand, duration: seconds, warmup: warm, maxGrowth: growth, directory: directory)
        options.nodeArguments = common.nodeArg
        let soak = MemorySoak(options: options)
        try await common.run(soak: "memory", configuration: configuration, directory: directory) { metrics in
            let report = try await soak.run(progress: SoakCommonOptions.progress("memory", metrics))
            return (report.passed, report.failure, { try SoakOutcome.write(report: report, chart: MemorySoak.chart(report), directory: directory) })
        }
    }
}

struct MiningSoakCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mining",
        abstract: "Stop and start mining through the API, checking latency, hashing, threads, fds and RSS each cycle.")
    @Option(name: .long, help: "Stop/start cycles.") var cycles: Int = 1_000
    @Option(name: .long, help: "Mining threads.") var threads: Int = 1
    @Option(name: .long, help: "A stop slower than this fails the soak.") var maxStop: String = "1s"
    @Option(name: .long, help: "RSS growth tolerated over the baseline, e.g. 10%.") var maxGrowth: String = "10%"
    @OptionGroup var common: SoakCommonOptions

    func run() async throws {
        guard cycles >= 1 else { throw fail("--cycles must be at least 1", code: 2) }
        guard threads >= 1 else { throw fail("--threads must be at least 1", code: 2) }
        guard let stop = SidecarDuration.seconds(maxStop), stop > 0 else { throw fail("--max-stop must be a duration like 500ms", code: 2) }
        guard let growth = parseRatio(maxGrowth) else { throw fail("--max-growth must look like 10% or 0.1", code: 2) }
        let configuration = try common.loadConfiguration()
        let directory = common.directory("mining", configuration)
        var options = MiningSoak.Options(nodeCommand: common.nodeCommand, cycles: cycles, directory: directory)
        options.threads = threads
        options.maxStopSeconds = stop
        options.maxRSSGrowth = growth
        options.nodeArguments = common.nodeArg
        let soak = MiningSoak(options: options)
        try await common.run(soak: "mining", configuration: configuration, directory: directory) { metrics in
            let report = try await soak.run(progress: SoakCommonOptions.progress("mining", metrics))
            return (report.passed, report.failure, { try SoakOutcome.write(report: report, chart: MiningSoak.chart(report), directory: directory) })
        }
    }
}

/// "5%" or "0.05" as 0.05.
func parseRatio(_ text: String) -> Double? {
    if text.hasSuffix("%") { return Double(text.dropLast()).map { $0 / 100 }.flatMap { $0 >= 0 ? $0 : nil } }
    return Double(text).flatMap { $0 >= 0 ? $0 : nil }
}
