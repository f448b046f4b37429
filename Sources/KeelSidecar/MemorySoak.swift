import Foundation
import KeelClient
import KeelCore

/// `keel-sidecar soak memory`: a dev node under a steady workload (one payment a second from a
/// wallet its miner pays, blocks every 100 ms), RSS sampled throughout, judged after warm-up
/// by `MemoryJudgement`. Writes `samples.jsonl` as it goes, then `report.json` and `chart.svg`.
public struct MemorySoak: Sendable {
    /// What to run.
    public struct Options: Sendable {
        /// `keel-node`.
        public var nodeCommand: String
        /// Extra node arguments (the test-only leak flag, ...).
        public var nodeArguments: [String] = []
        /// Seconds to run.
        public var duration: Double
        /// Seconds before the baseline is taken.
        public var warmup: Double
        /// Allowed growth (0.05 = 5%).
        public var maxGrowth: Double
        /// Seconds between samples.
        public var interval: Double
        /// Payments per second.
        public var paymentsPerSecond: Double = 1
        /// Where the run's files go (created).
        public var directory: String

        /// Options with the sampling interval derived from the duration (about 240 samples,
        /// between 1 s and 60 s apart).
        public init(nodeCommand: String, duration: Double, warmup: Double?, maxGrowth: Double, directory: String) {
            self.nodeCommand = nodeCommand
            self.duration = duration
            self.warmup = warmup ?? min(3_600, duration / 4)
            self.maxGrowth = maxGrowth
            interval = min(60, max(1, duration / 240))
            self.directory = directory
        }
    }

    /// One RSS sample.
    public struct Sample: Codable, Sendable {
        /// Seconds since the start.
        public var t: Double
        /// RSS bytes (from /proc, as `process_resident_memory_bytes` reports it).
        public var rss: Double
        /// Chain height.
        public var height: Double?
        /// Mempool transactions.
        public var mempool: Double?
        /// Bytes in RocksDB memtables (bounded; tells unflushed writes from a leak).
        public var memtable: Double?
        /// Bytes in RocksDB's block cache (bounded; fills during the first minutes).
        public var blockCache: Double?
        /// Payments submitted so far.
        public var payments: Int
    }

    /// The report.
    public struct Report: Codable, Sendable {
        /// "memory".
        public var soak = "memory"
        /// Whether it passed.
        public var passed: Bool
        /// Why it failed, if it did.
        public var failure: String?
        /// The options as run.
        public var durationSeconds: Double, warmupSeconds: Double, maxGrowth: Double, intervalSeconds: Double
        /// The node arguments beyond the defaults.
        public var nodeArguments: [String]
        /// The verdict (nil when too few samples).
        public var judgement: MemoryJudgement?
        /// Payments submitted and refused.
        public var paymentsSubmitted: Int, paymentsRefused: Int
        /// Heights at the start and end of the measured span.
        public var heightStart: Double?, heightEnd: Double?
        /// Every sample.
        public var samples: [Sample]
    }

    /// The options.
    public let options: Options

    /// A soak with `options`.
    public init(options: Options) { self.options = options }

    /// Runs the soak; `progress` hears a line now and then and the completed fraction.
    public func run(progress: @escaping @Sendable (String, Double) -> Void) async throws -> Report {
        let o = options
        try FileManager.default.createDirectory(atPath: o.directory, withIntermediateDirectories: true)
        let walletPath = o.directory + "/wallet.json"
        let passphrase = "soak-" + Outbox.newID()
        var wallet = try Wallet.create(path: walletPath, network: .dev, passphrase: passphrase, logN: 10)
        let payee = wallet.addresses[0]
        let node = try await SoakNode(command: o.nodeCommand, dataDirectory: o.directory + "/node",
                                      arguments: ["--threads", "1", "--mine-to", payee] + o.nodeArguments)
        let samplesFile = FileManager.default.createFile(atPath: o.directory + "/samples.jsonl", contents: nil) ? FileHandle(forWritingAtPath: o.directory + "/samples.jsonl") : nil
        defer { try? samplesFile?.close() }
        var samples = [Sample]()
        var submitted = 0, refused = 0
        var failure: String?
        let start = Monotonic.seconds()
        var nextSample = start, nextPayment = start, lastProgress = start - 60
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        while true {
            let now = Monotonic.seconds()
            if now - start >= o.duration { break }
            if let exit = node.exited() {
                failure = "the node exited during the soak: \(exit)"
                break
            }
            if now >= nextPayment {
                nextPayment += 1 / o.paymentsPerSecond
                let client = node.client
                do {
                    _ = try wallet.send(to: payee, amount: Amount(units: 1_000), fee: Amount(units: 1_000), passphrase: passphrase, using: client)
                    submitted += 1
                } catch {
                    refused += 1  // early on nothing is spendable yet; counted, not fatal
                }
            }
            if now >= nextSample {
                nextSample += o.interval
                if let resources = node.resources() {
                    let text = try? await node.scrape()
                    let sample = Sample(t: now - start, rss: resources.rss, height: text?.value("keel_chain_height"),
                                        mempool: text?.value("keel_mempool_transactions"),
                                        memtable: text?.sum("keel_rocksdb_memtable_bytes"),
                                        blockCache: text?.value("keel_rocksdb_block_cache_bytes"), payments: submitted)
                    samples.append(sample)
                    if let data = try? encoder.encode(sample) { samplesFile?.write(data + Data("\n".utf8)) }
                }
                let elapsed = now - start
                if now - lastProgress >= max(5, o.duration / 20), let last = samples.last {
                    lastProgress = now
                    let baseline = samples.first { $0.t >= o.warmup }?.rss
                    let growth = baseline.map { String(format: " (%+.1f%% against the baseline)", (last.rss / $0 - 1) * 100) } ?? " (warming up)"
                    progress(String(format: "soak memory: %3.0f%%  %@ of %@  RSS %.1f MiB%@  memtables %.1f MiB  block cache %.1f MiB  height %.0f  payments %d",
                                    elapsed / o.duration * 100, SidecarDuration.format(elapsed.rounded()), SidecarDuration.format(o.duration),
                                    last.rss / 1_048_576, growth, (last.memtable ?? 0) / 1_048_576, (last.blockCache ?? 0) / 1_048_576, last.height ?? 0, submitted), elapsed / o.duration)
                }
            }
            try? await Task.sleep(for: .milliseconds(Int64(max(1, min(200, (min(nextSample, nextPayment) - Monotonic.seconds()) * 1000)))))
        }
        await node.stop()
        progress("soak memory: done", 1)
        let judgement = MemoryJudgement.judge(samples.map { ($0.t, $0.rss) }, warmup: o.warmup, maxGrowth: o.maxGrowth)
        if failure == nil {
            if let judgement {
                if !judgement.passed {
                    failure = String(format: "RSS grew beyond %.1f%% after warm-up: slope %.1f%%, worst sample %.1f%% (baseline %.1f MiB)",
                                     o.maxGrowth * 100, judgement.slopeGrowth * 100, judgement.worstGrowth * 100, judgement.baseline / 1_048_576)
                }
            } else {
                failure = "too few samples after warm-up to judge (\(samples.count) in all); run longer or shorten --warmup"
            }
        }
        let measured = samples.filter { $0.t >= o.warmup }
        return Report(passed: failure == nil, failure: failure, durationSeconds: o.duration, warmupSeconds: o.warmup, maxGrowth: o.maxGrowth,
                      intervalSeconds: o.interval, nodeArguments: o.nodeArguments, judgement: judgement, paymentsSubmitted: submitted,
                      paymentsRefused: refused, heightStart: measured.first?.height, heightEnd: measured.last?.height, samples: samples)
    }

    /// RSS over time with the warm-up shaded and the baseline and threshold drawn.
    public static func chart(_ report: Report) -> SVGChart {
        let mib = 1_048_576.0
        var chart = SVGChart(title: "Memory soak: \(report.passed ? "PASSED" : "FAILED")", xLabel: "seconds since start", yLabel: "RSS (MiB)",
                             series: [.init(name: "RSS", color: "#1f77b4", points: report.samples.map { ($0.t, $0.rss / mib) })])
        if let j = report.judgement {
            chart.references = [("baseline \(String(format: "%.1f", j.baseline / mib)) MiB", j.baseline / mib, "#2ca02c"),
                                ("threshold +\(String(format: "%.0f", report.maxGrowth * 100))%", j.baseline * (1 + report.maxGrowth) / mib, "#d62728")]
        }
        chart.shaded = (0, report.warmupSeconds, "warm-up")
        chart.includeZero = false
        return chart
    }
}
