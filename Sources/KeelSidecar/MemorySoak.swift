import Foundation
import KeelClient
import KeelCore

/// `keel-sidecar soak memory`: a dev node under a steady workload (one payment a second from a
/// wallet its miner pays, blocks every 100 ms), RSS and the node's memory account sampled
/// throughout, judged after warm-up by `MemoryJudgement` on unaccounted RSS (RSS minus the
/// bounded caches and windows, which fill up and stop).
///
/// Writes `soak.json` at the start and `samples.jsonl` as it goes (at most one sample a minute,
/// so a 7-day run keeps about 10,000 lines), then `report.json` and `chart.svg`. A sidecar
/// restarted with the same `--report-dir` resumes the soak: the node restarts, its samples form
/// a new segment with its own warm-up, and the run still ends `duration` after it first began.
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
        /// Wallet payments per second, to keep the mempool and the UTXO set moving.
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

    /// What this run was asked for; a resumed run must be asked for the same.
    public let options: Options

    /// A soak with `options`.
    public init(options: Options) { self.options = options }

    /// Readings taken per sample, half a second apart.
    static let readingsPerSample = 3

    /// The scrape with the lowest unaccounted RSS of a few taken half a second apart: a sample
    /// should show what the node keeps, not what a flush or compaction holds for a moment (their
    /// buffers come and go within a second; a leak stays in every reading).
    static func quietestScrape(_ node: SoakNode) async -> MetricsText? {
        var best: (text: MetricsText, unaccounted: Double)?
        for reading in 0..<readingsPerSample {
            if reading > 0 { await Task.pause(for: .milliseconds(500)) }
            let text: MetricsText
            do {
                text = try await node.scrape()
            } catch {
                continue  // a reading missed (the node busy or restarting); the others make the sample
            }
            let unaccounted = text.value("keel_process_rss_unaccounted_bytes") ?? .infinity
            if best == nil || unaccounted < best!.unaccounted { best = (text, unaccounted) }
        }
        return best?.text
    }

    /// Stops the soak when the disk holding it has less than this left.
    static let minimumFreeBytes = 1.0 * 1_073_741_824

    /// Runs the soak (or resumes the one in the directory); `progress` hears a line now and
    /// then and the completed fraction.
    public func run(progress: @escaping @Sendable (String, Double) -> Void) async throws -> Report {
        let o = options
        var start = try MemorySoak.prepare(o)
        if start.segment > 0 {
            progress(
                String(
                    format: "soak memory: resuming (node process %d) at %@ of %@ with %d samples kept",
                    start.segment + 1, SidecarDuration.format((Date().timeIntervalSince1970 - start.state.startedAt).rounded()),
                    SidecarDuration.format(o.duration), start.samples.count), 0)
        }
        let payee = start.wallet.addresses[0]
        if start.segment > 0 { try await MemorySoak.waitForDataDirectory(o.directory + "/node") }
        let node = try await SoakNode(
            command: o.nodeCommand, dataDirectory: o.directory + "/node",
            arguments: ["--threads", "1", "--mine-to", payee] + o.nodeArguments)
        let samplesPath = o.directory + "/samples.jsonl"
        if !FileManager.default.fileExists(atPath: samplesPath) { _ = FileManager.default.createFile(atPath: samplesPath, contents: nil) }
        let samplesFile: FileHandle
        do {
            samplesFile = try FileHandle(forWritingTo: URL(fileURLWithPath: samplesPath))
            try samplesFile.seekToEnd()
        } catch {
            await node.stop()
            throw SidecarError(.storage, "cannot append to \(samplesPath); a soak that cannot keep its samples cannot be resumed", cause: error)
        }
        defer {
            do {
                try samplesFile.close()
            } catch {
                // Each sample was written by a call of its own that reported any failure.
            }
        }
        var samples = start.samples
        var submitted = samples.last?.payments ?? 0, refused = 0
        var failure: String?
        // Time runs on the wall clock from the first start, so a resumed soak ends on schedule.
        let begun = start.state.startedAt
        func elapsed() -> Double { Date().timeIntervalSince1970 - begun }
        var nextSample = elapsed(), nextPayment = Monotonic.seconds(), lastProgress = -Double.infinity
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        while elapsed() < o.duration {
            if let exit = node.exited() {
                failure = "the node exited during the soak: \(exit)"
                break
            }
            if Monotonic.seconds() >= nextPayment {
                nextPayment += 1 / o.paymentsPerSecond
                do {
                    _ = try start.wallet.send(
                        to: payee, amount: Amount(units: 1_000), fee: Amount(units: 1_000),
                        passphrase: start.passphrase, using: node.client)
                    submitted += 1
                } catch {
                    refused += 1  // early on nothing is spendable yet; counted, not fatal
                }
            }
            let now = elapsed()
            if now >= nextSample {
                nextSample = now + o.interval
                if let resources = node.resources() {
                    let text = await MemorySoak.quietestScrape(node)
                    let sample = Sample(
                        t: now, segment: start.segment, rss: resources.rss,
                        unaccounted: text?.value("keel_process_rss_unaccounted_bytes"),
                        height: text?.value("keel_chain_height"), mempool: text?.value("keel_mempool_transactions"),
                        memtable: text?.sum("keel_rocksdb_memtable_bytes"), blockCache: text?.value("keel_rocksdb_block_cache_bytes"),
                        headerWindow: text?.value("keel_chain_header_window_bytes"),
                        heapInUse: text?.value("keel_process_heap_bytes", ["state": "in_use"]),
                        heapOverhead: text?.value("keel_process_heap_bytes", ["state": "overhead"]),
                        dataBytes: MemorySoak.directoryBytes(o.directory + "/node"), payments: submitted)
                    samples.append(sample)
                    do {
                        try samplesFile.write(contentsOf: try encoder.encode(sample) + Data("\n".utf8))
                    } catch {
                        failure = "stopped: cannot append a sample to \(samplesPath) (\(error)); the run could not be resumed from it"
                        break
                    }
                }
                if let free = MemorySoak.freeBytes(o.directory), free < MemorySoak.minimumFreeBytes {
                    failure = String(
                        format: "stopped: %.0f MiB left on the disk holding %@ (the node's chain grows about 10 blocks a second)",
                        free / 1_048_576, o.directory)
                    break
                }
                if now - lastProgress >= max(5, min(600, o.duration / 20)), let last = samples.last {
                    lastProgress = now
                    let own = samples.filter { $0.segment == start.segment }
                    let baseline = own.first.flatMap { first in own.first { $0.t - first.t >= o.warmup } }?.judged
                    let growth = baseline.map { String(format: " (%+.1f%% against the baseline)", (last.judged / $0 - 1) * 100) } ?? " (warming up)"
                    progress(
                        String(
                            format:
                                "soak memory: %3.0f%%  %@ of %@  RSS %.1f MiB  unaccounted %.1f MiB%@  memtables %.1f MiB  block cache %.1f MiB  height %.0f  payments %d",
                            now / o.duration * 100, SidecarDuration.format(now.rounded()), SidecarDuration.format(o.duration),
                            last.rss / 1_048_576, last.judged / 1_048_576, growth, (last.memtable ?? 0) / 1_048_576,
                            (last.blockCache ?? 0) / 1_048_576, last.height ?? 0, submitted), min(1, now / o.duration))
                }
            }
            let wait = min(nextSample - elapsed(), nextPayment - Monotonic.seconds())
            await Task.pause(for: .milliseconds(Int64(max(1, min(200, wait * 1000)))))
        }
        await node.stop()
        progress("soak memory: done", 1)
        return MemorySoak.report(samples: samples, options: o, submitted: submitted, refused: refused, failure: failure)
    }
}
