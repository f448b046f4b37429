/// Reading Prometheus exposition text, for assertions: one whole exposition parsed (output order
/// is not stable, so tests look series up by name), or one series read out of a text.
public struct Exposition: Sendable {
    /// Each sample's value by its series as printed (`name{labels}`).
    public var samples: [String: Double] = [:]
    /// Each metric's help text.
    public var help: [String: String] = [:]
    /// Each metric's type (`counter`, `gauge`, `histogram`).
    public var types: [String: String] = [:]

    /// Parses `bytes`.
    public init(_ bytes: [UInt8]) {
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
                help[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                types[String(parts[0])] = String(parts[1])
            } else if let space = line.lastIndex(of: " ") {
                samples[String(line[..<space])] = Double(line[line.index(after: space)...])
            }
        }
    }

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
