import Foundation
import KeelClient
import KeelCore

/// `keel-sidecar soak mining`: stops and starts mining on a dev node through the API, `cycles`
/// times. Each stop's latency is recorded (as the node measured it, and the API round trip);
/// after each start, hashing must resume, and threads, open fds and RSS must be back within
/// tolerance of the baseline taken after the first cycle.
public struct MiningSoak: Sendable {
    /// What to run.
    public struct Options: Sendable {
        /// `keel-node`.
        public var nodeCommand: String
        /// Extra node arguments.
        public var nodeArguments: [String] = []
        /// Stop/start cycles.
        public var cycles: Int
        /// Mining threads to start with.
        public var threads: Int = 1
        /// Extra threads tolerated over the baseline.
        public var threadTolerance: Int = 2
        /// Extra open fds tolerated over the baseline.
        public var fdTolerance: Int = 8
        /// RSS growth tolerated over the baseline (0.10 = 10%).
        public var maxRSSGrowth: Double = 0.10
        /// A stop slower than this fails the soak (seconds).
        public var maxStopSeconds: Double = 1
        /// Where the run's files go (created).
        public var directory: String

        /// Options for `cycles` cycles.
        public init(nodeCommand: String, cycles: Int, directory: String) {
            self.nodeCommand = nodeCommand
            self.cycles = cycles
            self.directory = directory
        }
    }

    /// One cycle's figures.
    public struct Cycle: Codable, Sendable {
        /// 1-based.
        public var cycle: Int
        /// The stop as the node timed it (seconds).
        public var stopSeconds: Double
        /// The stop request's round trip (seconds).
        public var stopRoundTripSeconds: Double
        /// Seconds from the start request until the hash counter moved.
        public var resumeSeconds: Double
        /// Threads, open fds and RSS after the restart.
        public var threads: Int, fds: Int, rss: Double
    }

    /// What `report.json` holds: the verdict, each cycle, and the baselines it was judged against.
    public struct Report: Codable, Sendable {
        /// "mining".
        public var soak = "mining"
        /// Whether it passed.
        public var passed: Bool
        /// Why it failed.
        public var failure: String?
        /// Cycles asked for and completed.
        public var cyclesRequested: Int, cyclesCompleted: Int
        /// The node's threads, open descriptors and RSS (bytes) before the first cycle: a leak shows against them.
        public var baselineThreads: Int, baselineFDs: Int, baselineRSS: Double
        /// Stop latency figures (node-measured, seconds).
        public var stopMedianSeconds: Double, stopP99Seconds: Double, stopMaxSeconds: Double
        /// Largest figures seen after a cycle.
        public var maxThreads: Int, maxFDs: Int, maxRSS: Double
        /// Tolerances applied.
        public var threadTolerance: Int, fdTolerance: Int, maxRSSGrowth: Double, maxStopSeconds: Double
        /// Every cycle.
        public var cycles: [Cycle]
    }

    /// What this run was asked for; fixed for its life.
    public let options: Options

    /// A soak with `options`.
    public init(options: Options) { self.options = options }

    /// Runs the soak.
    public func run(progress: @escaping @Sendable (String, Double) -> Void) async throws -> Report {
        let o = options
        try FileManager.default.createDirectory(atPath: o.directory, withIntermediateDirectories: true)
        let node = try await SoakNode(
            command: o.nodeCommand, dataDirectory: o.directory + "/node",
            arguments: ["--threads", String(o.threads)] + o.nodeArguments)
        var cycles = [Cycle]()
        var failure: String?
        var baseline: (threads: Int, fds: Int, rss: Double)?
        var lastProgress = Monotonic.seconds()
        let soakStarted = lastProgress
        for number in 1...max(1, o.cycles) {
            do {
                let cycle = try await runCycle(number, node: node, threads: o.threads)
                cycles.append(cycle)
                if baseline == nil { baseline = (cycle.threads, cycle.fds, cycle.rss) }
                if let b = baseline {
                    if cycle.threads > b.threads + o.threadTolerance {
                        failure = "cycle \(number): \(cycle.threads) threads, baseline \(b.threads) (+\(o.threadTolerance) tolerated)"
                    } else if cycle.fds > b.fds + o.fdTolerance {
                        failure = "cycle \(number): \(cycle.fds) open fds, baseline \(b.fds) (+\(o.fdTolerance) tolerated)"
                    } else if cycle.rss > b.rss * (1 + o.maxRSSGrowth) {
                        failure = String(
                            format: "cycle %d: RSS %.1f MiB, baseline %.1f MiB (+%.0f%% tolerated)", number, cycle.rss / 1_048_576,
                            b.rss / 1_048_576, o.maxRSSGrowth * 100)
                    } else if cycle.stopSeconds > o.maxStopSeconds {
                        failure = String(format: "cycle %d: stopping mining took %.3f s (limit %.3f s)", number, cycle.stopSeconds, o.maxStopSeconds)
                    }
                }
            } catch {
                failure = "cycle \(number): \(error)"
            }
            if let exit = node.exited() { failure = "the node exited during the soak: \(exit)" }
            if failure != nil { break }
            if Monotonic.seconds() - lastProgress >= 2 || number == o.cycles {
                lastProgress = Monotonic.seconds()
                let stops = cycles.map(\.stopSeconds).sorted()
                // The time left at the pace so far.
                let eta = (lastProgress - soakStarted) / Double(number) * Double(o.cycles - number)
                progress(
                    String(
                        format: "soak mining: cycle %d of %d  ETA %@  stop median %.1f ms, max %.1f ms  threads %d  fds %d  RSS %.1f MiB",
                        number, o.cycles, ProgressMeter.duration(eta), MiningSoak.percentile(stops, 0.5) * 1000, (stops.last ?? 0) * 1000,
                        cycles.last?.threads ?? 0, cycles.last?.fds ?? 0, (cycles.last?.rss ?? 0) / 1_048_576), Double(number) / Double(o.cycles))
            }
        }
        await node.stop()
        let stops = cycles.map(\.stopSeconds).sorted()
        let b = baseline ?? (0, 0, 0)
        return Report(
            passed: failure == nil && cycles.count == o.cycles, failure: failure, cyclesRequested: o.cycles, cyclesCompleted: cycles.count,
            baselineThreads: b.threads, baselineFDs: b.fds, baselineRSS: b.rss,
            stopMedianSeconds: MiningSoak.percentile(stops, 0.5), stopP99Seconds: MiningSoak.percentile(stops, 0.99), stopMaxSeconds: stops.last ?? 0,
            maxThreads: cycles.map(\.threads).max() ?? 0, maxFDs: cycles.map(\.fds).max() ?? 0, maxRSS: cycles.map(\.rss).max() ?? 0,
            threadTolerance: o.threadTolerance, fdTolerance: o.fdTolerance, maxRSSGrowth: o.maxRSSGrowth, maxStopSeconds: o.maxStopSeconds,
            cycles: cycles)
    }

    /// Stop, check it stopped, start, wait for the hash counter to move, read /proc.
    private func runCycle(_ number: Int, node: SoakNode, threads: Int) async throws -> Cycle {
        let client = node.client
        let began = Monotonic.seconds()
        let stopped = try client.stopMining()
        let roundTrip = Monotonic.seconds() - began
        guard !stopped.mining.active else { throw SidecarError(.soakFailed, "mining still active after stop") }
        let before = try client.mining().hashesTotal
        let startedAt = Monotonic.seconds()
        let started = try client.startMining(threads: threads)
        guard started.active else { throw SidecarError(.soakFailed, "mining did not start") }
        var resumed: Double?
        while Monotonic.seconds() - startedAt < 10 {
            if try client.mining().hashesTotal > before {
                resumed = Monotonic.seconds() - startedAt
                break
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        guard let resumed else { throw SidecarError(.soakFailed, "hashing did not resume within 10 s of starting") }
        guard let r = node.resources() else { throw SidecarError(.soakFailed, "cannot read /proc of the node") }
        return Cycle(
            cycle: number, stopSeconds: stopped.stopSeconds, stopRoundTripSeconds: roundTrip, resumeSeconds: resumed,
            threads: r.threads, fds: r.fds, rss: r.rss)
    }

    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }

    /// Stop latency per cycle, with the limit drawn.
    public static func chart(_ report: Report) -> SVGChart {
        var chart = SVGChart(
            title: "Mining soak: \(report.passed ? "PASSED" : "FAILED") (\(report.cyclesCompleted) cycles)", xLabel: "cycle",
            yLabel: "stop latency (ms)",
            series: [
                .init(name: "stop (node-measured)", color: "#1f77b4", points: report.cycles.map { (Double($0.cycle), $0.stopSeconds * 1000) }),
                .init(
                    name: "stop request round trip", color: "#ff7f0e",
                    points: report.cycles.map { (Double($0.cycle), $0.stopRoundTripSeconds * 1000) }),
            ])
        chart.references = [("median \(String(format: "%.1f", report.stopMedianSeconds * 1000)) ms", report.stopMedianSeconds * 1000, "#2ca02c")]
        return chart
    }
}
