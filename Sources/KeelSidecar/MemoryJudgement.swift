/// The memory soak's verdict over memory samples: after warm-up, the baseline is the median of
/// the first samples; growth is judged twice, by the least-squares slope projected over the
/// measured span (a steady leak) and by the worst sample that lasts (a jump), each against
/// `maxGrowth` (0.05 = 5%). "Lasts" means the median of each sample and its two neighbours: a
/// single sample taken while a compaction's buffers were live is not growth, a step that stays is.
public struct MemoryJudgement: Sendable, Equatable, Codable {
    /// RSS at the start of the measured span (bytes).
    public let baseline: Double
    /// Least-squares slope of RSS over the measured span (bytes per second).
    public let slopeBytesPerSecond: Double
    /// The slope times the measured span, over the baseline.
    public let slopeGrowth: Double
    /// The largest lasting sample (median of three neighbours) over the baseline, minus one.
    public let worstGrowth: Double
    /// Samples after warm-up.
    public let measuredSamples: Int
    /// Seconds measured (after warm-up).
    public let measuredSeconds: Double
    /// The limit.
    public let maxGrowth: Double
    /// Both growths within the limit.
    public var passed: Bool { slopeGrowth <= maxGrowth && worstGrowth <= maxGrowth }

    /// Judges `samples` (seconds since the start, RSS bytes); nil with fewer than three
    /// samples after `warmup`.
    public static func judge(_ samples: [(t: Double, rss: Double)], warmup: Double, maxGrowth: Double) -> MemoryJudgement? {
        let measured = samples.filter { $0.t >= warmup }
        guard measured.count >= 3, let first = measured.first, let last = measured.last, last.t > first.t else { return nil }
        let head = measured.prefix(max(3, measured.count / 20)).map(\.rss).sorted()
        let baseline = head[head.count / 2]
        let n = Double(measured.count)
        let meanT = measured.reduce(0) { $0 + $1.t } / n
        let meanR = measured.reduce(0) { $0 + $1.rss } / n
        let covariance = measured.reduce(0) { $0 + ($1.t - meanT) * ($1.rss - meanR) }
        let variance = measured.reduce(0) { $0 + ($1.t - meanT) * ($1.t - meanT) }
        let slope = variance > 0 ? covariance / variance : 0
        let span = last.t - first.t
        let values = measured.map(\.rss)
        let lasting = values.indices.map { i in
            [values[max(0, i - 1)], values[i], values[min(values.count - 1, i + 1)]].sorted()[1]
        }
        let worst = lasting.max() ?? baseline
        return MemoryJudgement(
            baseline: baseline, slopeBytesPerSecond: slope, slopeGrowth: slope * span / baseline,
            worstGrowth: worst / baseline - 1, measuredSamples: measured.count, measuredSeconds: span, maxGrowth: maxGrowth)
    }
}
