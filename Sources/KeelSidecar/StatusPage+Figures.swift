import Foundation

extension StatusPage {
    /// Figures derived from the sampler's window.
    struct Figures {
        var latest: Sampler.Reading?
        /// Blocks per minute over the last ten minutes of readings, and the seconds it spans.
        var blocksPerMinute: (rate: Double, span: Double)?
        /// Hashes per second over the last minute of readings, and the seconds it spans.
        var hashRate: (rate: Double, span: Double)?
        /// Seconds the last mining stop took, or the mean when the window holds no stop.
        var stopLatency: (seconds: Double, last: Bool)?

        init(_ readings: [Sampler.Reading]) {
            latest = readings.last
            guard let latest else { return }
            let tenMinutes = StatusPage.reading(in: readings, atOrAfter: latest.time - 600)
            if let h0 = tenMinutes.height, let h1 = latest.height, latest.time - tenMinutes.time >= 1 {
                blocksPerMinute = (max(0, h1 - h0) / (latest.time - tenMinutes.time) * 60, latest.time - tenMinutes.time)
            }
            let minute = StatusPage.reading(in: readings, atOrAfter: latest.time - 60)
            if let a = minute.hashes, let b = latest.hashes, latest.time - minute.time >= 1 {
                hashRate = (max(0, b - a) / (latest.time - minute.time), latest.time - minute.time)
            }
            // The newest change of the stop histogram's count is the last stop. Fields are read in
            // place (a reading carries arrays: copying each would cost more than the walk).
            var i = readings.count - 1
            while i > 0 {
                if let c1 = readings[i].miningStopCount, let c0 = readings[i - 1].miningStopCount, c1 > c0,
                    let s1 = readings[i].miningStopSum, let s0 = readings[i - 1].miningStopSum
                {
                    stopLatency = ((s1 - s0) / (c1 - c0), true)
                    break
                }
                i -= 1
            }
            if stopLatency == nil, let count = latest.miningStopCount, count > 0, let sum = latest.miningStopSum {
                stopLatency = (sum / count, false)
            }
        }
    }

    /// The oldest reading at or after `time` (binary search: the window is in time order).
    static func reading(in readings: [Sampler.Reading], atOrAfter time: Double) -> Sampler.Reading {
        var low = 0, high = readings.count - 1
        while low < high {
            let mid = (low + high) / 2
            if readings[mid].time < time { low = mid + 1 } else { high = mid }
        }
        return readings[low]
    }

    /// `3 d 4 h`, `2 h 5 min`, `4 min 12 s`, `8 s`.
    static func duration(_ seconds: Double) -> String {
        let s = Int(max(0, seconds).rounded())
        if s >= 86_400 { return "\(s / 86_400) d \(s % 86_400 / 3600) h" }
        if s >= 3600 { return "\(s / 3600) h \(s % 3600 / 60) min" }
        if s >= 60 { return "\(s / 60) min \(s % 60) s" }
        return "\(s) s"
    }

    /// A count with thousands separators: `1,234,567`.
    static func count(_ value: Double) -> String {
        guard value.isFinite else { return "?" }
        let digits = String(Int64(value.rounded()).magnitude)
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// A figure with `places` decimals (fast: no `String(format:)`).
    static func decimal(_ value: Double, places: Int = 1) -> String {
        guard value.isFinite else { return "?" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((abs(value) * scale).rounded())
        let whole = scaled / Int64(scale), fraction = scaled % Int64(scale)
        var text = count(Double(whole))
        if places > 0 {
            let f = String(fraction)
            text += "." + String(repeating: "0", count: places - f.count) + f
        }
        return (value < 0 && scaled != 0 ? "-" : "") + text
    }

    /// Bytes as MiB or GiB.
    static func bytes(_ value: Double) -> String {
        value >= Double(1 << 30) ? decimal(value / Double(1 << 30), places: 2) + " GiB" : decimal(value / Double(1 << 20)) + " MiB"
    }

    /// Hashes per second in H/s, kH/s or MH/s.
    static func rate(_ value: Double) -> String {
        if value >= 1e6 { return decimal(value / 1e6, places: 2) + " MH/s" }
        if value >= 1e3 { return decimal(value / 1e3, places: 1) + " kH/s" }
        return decimal(value, places: 0) + " H/s"
    }

    /// Seconds as ms below one second.
    static func latency(_ seconds: Double) -> String {
        seconds < 1 ? decimal(seconds * 1000, places: 1) + " ms" : decimal(seconds, places: 2) + " s"
    }
}
