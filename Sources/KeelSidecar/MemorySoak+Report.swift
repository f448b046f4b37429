import Foundation

extension MemorySoak {
    /// One line of `samples.jsonl`, taken every `interval` seconds.
    public struct Sample: Codable, Sendable {
        /// Seconds since the soak first started (wall clock, so a resumed soak continues the axis).
        public var t: Double
        /// Which node process: 0, then one more after each resume.
        public var segment: Int?
        /// RSS bytes (from /proc, as `process_resident_memory_bytes` reports it).
        public var rss: Double
        /// RSS minus the bounded parts, as the node reports it (`keel_process_rss_unaccounted_bytes`),
        /// the lowest of three readings half a second apart; what the verdict is judged on.
        public var unaccounted: Double?
        /// Chain height.
        public var height: Double?
        /// Mempool transactions.
        public var mempool: Double?
        /// Bytes in RocksDB memtables (bounded; tells unflushed writes from a leak).
        public var memtable: Double?
        /// Bytes in RocksDB's block cache (bounded; fills during the first minutes).
        public var blockCache: Double?
        /// Bytes of the headers the node keeps in memory (bounded by its window).
        public var headerWindow: Double?
        /// Bytes in the allocator's live allocations, and what it holds beyond them.
        public var heapInUse: Double?, heapOverhead: Double?
        /// Bytes the node's data directory holds.
        public var dataBytes: Double?
        /// Payments submitted so far.
        public var payments: Int

        /// The figure the verdict uses: unaccounted RSS where the node reports it, else RSS
        /// minus the RocksDB caches (an older node), else RSS.
        public var judged: Double { unaccounted ?? (rss - (memtable ?? 0) - (blockCache ?? 0)) }
    }

    /// The verdict on one node process's samples.
    public struct Segment: Codable, Sendable {
        /// Which node process (0 for the first).
        public var index: Int
        /// Seconds since the soak started, at the segment's first and last sample.
        public var start: Double, end: Double
        /// The verdict on unaccounted RSS (nil when too short to judge after its warm-up).
        public var judgement: MemoryJudgement?
        /// The same measure on raw RSS, for comparison (not part of the verdict).
        public var rawJudgement: MemoryJudgement?
    }

    /// What `report.json` holds: the verdict, the segments it was judged on, and the figures.
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
        /// The verdict on the longest judged segment (nil when none could be judged).
        public var judgement: MemoryJudgement?
        /// The same on raw RSS, for comparison.
        public var rawJudgement: MemoryJudgement?
        /// Every node process's verdict: one segment, plus one per resume after a restart.
        public var segments: [Segment]
        /// Payments submitted and refused.
        public var paymentsSubmitted: Int, paymentsRefused: Int
        /// Heights at the start and end of the run.
        public var heightStart: Double?, heightEnd: Double?
        /// Blocks the run covered, and how many days of main-net blocks (60 s apart) that is.
        public var blocks: Double, mainNetDays: Double
        /// Every sample.
        public var samples: [Sample]
    }

    /// Judges every segment and sums the run up.
    static func report(samples: [Sample], options o: Options, submitted: Int, refused: Int, failure early: String?) -> Report {
        var segments = [Segment]()
        for index in Set(samples.map { $0.segment ?? 0 }).sorted() {
            let own = samples.filter { ($0.segment ?? 0) == index }
            guard let first = own.first, let last = own.last else { continue }
            // Each node process warms up anew; its warm-up is counted from its first sample.
            let judged = own.map { ($0.t - first.t, $0.judged) }, raw = own.map { ($0.t - first.t, $0.rss) }
            segments.append(
                Segment(
                    index: index, start: first.t, end: last.t,
                    judgement: MemoryJudgement.judge(judged, warmup: o.warmup, maxGrowth: o.maxGrowth),
                    rawJudgement: MemoryJudgement.judge(raw, warmup: o.warmup, maxGrowth: o.maxGrowth)))
        }
        var failure = early
        let judged = segments.filter { $0.judgement != nil }
        if failure == nil {
            if let bad = judged.first(where: { !($0.judgement!.passed) }), let j = bad.judgement {
                failure = String(
                    format: "unaccounted RSS grew beyond %.1f%% after warm-up%@: slope %.1f%%, worst sample %.1f%% (baseline %.1f MiB)",
                    o.maxGrowth * 100, segments.count > 1 ? " in segment \(bad.index)" : "", j.slopeGrowth * 100,
                    j.worstGrowth * 100, j.baseline / 1_048_576)
            } else if judged.isEmpty {
                failure = "too few samples after warm-up to judge (\(samples.count) in all); run longer or shorten --warmup"
            }
        }
        let longest = judged.max { $0.end - $0.start < $1.end - $1.start }
        let heights = samples.compactMap(\.height)
        let blocks = (heights.max() ?? 0) - (heights.min() ?? 0)
        return Report(
            passed: failure == nil, failure: failure, durationSeconds: o.duration, warmupSeconds: o.warmup, maxGrowth: o.maxGrowth,
            intervalSeconds: o.interval, nodeArguments: o.nodeArguments, judgement: longest?.judgement,
            rawJudgement: longest?.rawJudgement, segments: segments, paymentsSubmitted: submitted, paymentsRefused: refused,
            heightStart: heights.min(), heightEnd: heights.max(), blocks: blocks, mainNetDays: blocks * 60 / 86_400, samples: samples)
    }

    /// RSS and unaccounted RSS over time, with the warm-up shaded and the baseline and
    /// threshold of the verdict drawn.
    public static func chart(_ report: Report) -> SVGChart {
        let mib = 1_048_576.0
        var chart = SVGChart(
            title: "Memory soak: \(report.passed ? "PASSED" : "FAILED")", xLabel: "seconds since start", yLabel: "MiB",
            series: [
                .init(name: "RSS", color: "#1f77b4", points: report.samples.map { ($0.t, $0.rss / mib) }),
                .init(name: "unaccounted RSS (judged)", color: "#ff7f0e", points: report.samples.map { ($0.t, $0.judged / mib) }),
            ])
        if let j = report.judgement {
            chart.references = [
                ("baseline \(String(format: "%.1f", j.baseline / mib)) MiB", j.baseline / mib, "#2ca02c"),
                ("threshold +\(String(format: "%.0f", report.maxGrowth * 100))%", j.baseline * (1 + report.maxGrowth) / mib, "#d62728"),
            ]
        }
        chart.shaded = (0, report.warmupSeconds, "warm-up")
        chart.includeZero = false
        return chart
    }
}
