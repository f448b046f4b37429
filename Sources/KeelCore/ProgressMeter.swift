/// Progress of long work (a sync, a reindex, a full verify) for people watching it: how far,
/// how fast and how long yet, at most once per `interval`. A plain value that takes the time
/// (seconds, any monotonic origin), so tests drive it without waiting.
public struct ProgressMeter: Sendable {
    /// What `report` says at one moment.
    public struct Report: Sendable, Equatable {
        /// Units done and in all (the total may grow: a sync's target moves on).
        public var done: UInt64, total: UInt64
        /// Units a second since the last report (since the start for the first).
        public var rate: Double
        /// Seconds left at that rate; nil while the rate is zero.
        public var eta: Double?

        /// The fraction done, 0 to 1.
        public var fraction: Double { total == 0 ? 1 : min(1, Double(done) / Double(total)) }

        /// `1,200/3,000 blocks (40%), 250 blocks/s, ETA 7s`.
        public func line(unit: String) -> String {
            let percent = Int((fraction * 100).rounded(.down))
            let eta = self.eta.map { ", ETA \(ProgressMeter.duration($0))" } ?? ""
            return
                "\(ProgressMeter.grouped(done))/\(ProgressMeter.grouped(total)) \(unit) (\(percent)%), \(ProgressMeter.grouped(UInt64(rate.rounded()))) \(unit)/s\(eta)"
        }

        /// `[########............] 40%`, `width` cells: the bar a terminal redraws in place.
        public func bar(width: Int = 20) -> String {
            let filled = Int((fraction * Double(width)).rounded(.down))
            return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
        }
    }

    /// Seconds between reports.
    public let interval: Double
    private var last: (time: Double, done: UInt64)

    /// A meter starting at `done` units at `now`.
    public init(interval: Double, now: Double, done: UInt64 = 0) {
        self.interval = interval
        last = (now, done)
    }

    /// A report when `interval` has passed since the last one (or `force`, for the end), else nil.
    public mutating func update(done: UInt64, total: UInt64, now: Double, force: Bool = false) -> Report? {
        let elapsed = now - last.time
        guard force || elapsed >= interval, elapsed > 0 || force else { return nil }
        let rate = elapsed > 0 ? Double(done &- min(done, last.done)) / elapsed : 0
        let left = total > done ? Double(total - done) : 0
        last = (now, done)
        return Report(done: done, total: max(total, done), rate: rate, eta: rate > 0 ? left / rate : (left == 0 ? 0 : nil))
    }

    /// `1,234,567`.
    public static func grouped(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return out
    }

    /// `45s`, `3m 20s`, `2h 5m`.
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3_600 { return "\(s / 60)m \(s % 60)s" }
        return "\(s / 3_600)h \(s % 3_600 / 60)m"
    }
}
