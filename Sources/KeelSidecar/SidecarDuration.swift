import Foundation

/// A duration as written in the configuration: a number with a unit (`500ms`, `5s`, `10m`,
/// `1h`, `7d`); a bare number means seconds.
public enum SidecarDuration {
    /// Seconds in `text`, or nil if it is not a duration.
    public static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400)]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            // "5ms" also ends in "s": only accept what parses as a plain number.
            if let value = Double(number), value >= 0, value.isFinite { return value * scale }
        }
        if let value = Double(trimmed), value >= 0, value.isFinite { return value }
        return nil
    }

    /// `seconds` as the shortest unit text (`90` -> `1m30s` is not attempted: `90s`).
    public static func format(_ seconds: Double) -> String {
        if seconds == 0 { return "0s" }
        if seconds >= 86_400, seconds.truncatingRemainder(dividingBy: 86_400) == 0 { return "\(Int(seconds / 86_400))d" }
        if seconds >= 3_600, seconds.truncatingRemainder(dividingBy: 3_600) == 0 { return "\(Int(seconds / 3_600))h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds >= 1, seconds.rounded() == seconds { return "\(Int(seconds))s" }
        return "\(Int((seconds * 1000).rounded()))ms"
    }
}
