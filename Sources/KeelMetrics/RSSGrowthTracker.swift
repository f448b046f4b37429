import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The baseline for `keel_process_rss_growth_ratio`: the unaccounted resident memory (RSS minus
/// the bounded parts, `MemoryAccount`) at the first observation after the warm-up. Caches that
/// fill up to their bound are not in it, so the ratio measures growth a leak shows.
public final class RSSGrowthTracker: Sendable {
    /// Seconds after start before the baseline is taken.
    public let warmup: Double
    private let started: UInt64
    private let baseline = Mutex<UInt64?>(nil)

    /// A tracker whose warm-up starts now.
    public init(warmup: Double) {
        self.warmup = warmup
        started = RSSGrowthTracker.monotonicNanoseconds()
    }

    /// The baseline, once taken.
    public var baselineBytes: UInt64? { baseline.withLock { $0 } }

    /// Takes the baseline if the warm-up has ended and none was taken yet.
    public func observe(unaccountedBytes: UInt64) {
        let elapsed = Double(RSSGrowthTracker.monotonicNanoseconds() - started) / 1e9
        guard elapsed >= warmup else { return }
        baseline.withLock { if $0 == nil { $0 = unaccountedBytes } }
    }

    /// `unaccounted / baseline - 1`, or 0 before the baseline exists.
    public func ratio(unaccountedBytes: UInt64) -> Double {
        guard let base = baselineBytes, base > 0 else { return 0 }
        return Double(unaccountedBytes) / Double(base) - 1
    }

    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
