/// Reading samples out of Prometheus exposition text, for assertions.
public enum Exposition {
    /// The value of `series` (`name{labels}` exactly as printed) in `text`, or nil.
    public static func value(_ series: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    /// The sum of every sample of `name` (any labels) in `text`.
    public static func total(_ name: String, in text: String) -> Double {
        text.split(separator: "\n")
            .filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0, +)
    }
}
