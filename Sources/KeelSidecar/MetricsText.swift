import Foundation

/// One scrape of a Prometheus text exposition (format 0.0.4), parsed: every sample line with
/// its labels, plus the `# TYPE` of each family. Histograms arrive as their `_bucket{le}`,
/// `_sum` and `_count` samples; `quantile` reads them back.
public struct MetricsText: Sendable {
    /// One sample line.
    public struct Sample: Sendable, Equatable {
        /// The series name (`keel_chain_height`, `x_bucket`, ...).
        public let name: String
        /// Its labels, unescaped.
        public let labels: [String: String]
        /// The value (`NaN`, `+Inf` and `-Inf` included).
        public let value: Double
    }

    /// Every sample, in document order.
    public let samples: [Sample]
    /// `# TYPE` by family name (`counter`, `gauge`, `histogram`, `summary`, `untyped`).
    public let types: [String: String]

    /// Parses `text`; a malformed line is an error naming its line number.
    public init(_ text: String) throws {
        var samples = [Sample]()
        var types = [String: String]()
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("#") {
                let parts = trimmed.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                if parts.count >= 4, parts[1] == "TYPE" { types[String(parts[2])] = String(parts[3]) }
                continue
            }
            do {
                samples.append(try MetricsText.parseSample(Substring(trimmed)))
            } catch let error as SidecarError {
                throw SidecarError(.scrape, "metrics line \(number): \(error.message)")
            }
        }
        self.samples = samples
        self.types = types
    }

    /// The first sample of `name` whose labels include `labels`.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value } }?.value
    }

    /// The sum of every sample of `name` (across its label sets), or nil when there is none.
    public func sum(_ name: String) -> Double? {
        let matching = samples.filter { $0.name == name }
        return matching.isEmpty ? nil : matching.reduce(0) { $0 + $1.value }
    }

    /// The cumulative buckets of histogram `name` summed across label sets, by upper bound.
    public func buckets(_ name: String) -> [(le: Double, count: Double)] {
        var byBound = [Double: Double]()
        for sample in samples where sample.name == name + "_bucket" {
            guard let text = sample.labels["le"], let bound = MetricsText.number(text) else { continue }
            byBound[bound, default: 0] += sample.value
        }
        return byBound.sorted { $0.key < $1.key }.map { (le: $0.key, count: $0.value) }
    }

    /// `histogram_quantile` over cumulative buckets, interpolating linearly inside the bucket
    /// as Prometheus does; nil without observations.
    public static func quantile(_ q: Double, buckets: [(le: Double, count: Double)]) -> Double? {
        guard let total = buckets.last?.count, total > 0 else { return nil }
        let rank = q * total
        var previousBound = 0.0, previousCount = 0.0
        for bucket in buckets {
            if bucket.count >= rank {
                if bucket.le == .infinity { return previousBound }
                let inBucket = bucket.count - previousCount
                guard inBucket > 0 else { return bucket.le }
                return previousBound + (bucket.le - previousBound) * (rank - previousCount) / inBucket
            }
            previousBound = bucket.le
            previousCount = bucket.count
        }
        return previousBound
    }

    /// Per-bucket increase from `earlier` to `later` (a histogram over a window, like `rate`).
    /// A counter reset (the node restarted) makes the later buckets the increase.
    public static func delta(from earlier: [(le: Double, count: Double)], to later: [(le: Double, count: Double)]) -> [(le: Double, count: Double)] {
        let before = Dictionary(earlier.map { ($0.le, $0.count) }, uniquingKeysWith: +)
        let reset = later.contains { bucket in (before[bucket.le] ?? 0) > bucket.count }
        if reset { return later }
        return later.map { (le: $0.le, count: $0.count - (before[$0.le] ?? 0)) }
    }

    static func number(_ text: some StringProtocol) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(String(text))
        }
    }

    /// `name{label="value",...} value [timestamp]`.
    static func parseSample(_ line: Substring) throws -> Sample {
        var index = line.startIndex
        while index < line.endIndex, line[index] != "{", line[index] != " ", line[index] != "\t" { index = line.index(after: index) }
        let name = String(line[line.startIndex..<index])
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }), !(name.first?.isNumber ?? true) else {
            throw SidecarError(.scrape, "bad metric name '\(name)'")
        }
        var labels = [String: String]()
        if index < line.endIndex, line[index] == "{" {
            index = line.index(after: index)
            while true {
                while index < line.endIndex, line[index] == " " || line[index] == "," { index = line.index(after: index) }
                guard index < line.endIndex else { throw SidecarError(.scrape, "unterminated labels") }
                if line[index] == "}" { index = line.index(after: index); break }
                let keyStart = index
                while index < line.endIndex, line[index] != "=" { index = line.index(after: index) }
                let key = line[keyStart..<index].trimmingCharacters(in: .whitespaces)
                guard index < line.endIndex, !key.isEmpty else { throw SidecarError(.scrape, "bad label in \(name)") }
                index = line.index(after: index)
                guard index < line.endIndex, line[index] == "\"" else { throw SidecarError(.scrape, "label \(key) has no quoted value") }
                index = line.index(after: index)
                var value = ""
                var closed = false
                while index < line.endIndex {
                    let c = line[index]
                    index = line.index(after: index)
                    if c == "\"" { closed = true; break }
                    if c == "\\" {
                        guard index < line.endIndex else { break }
                        let escaped = line[index]
                        index = line.index(after: index)
                        switch escaped {
                        case "n": value.append("\n")
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        default: value.append("\\"); value.append(escaped)
                        }
                    } else {
                        value.append(c)
                    }
                }
                guard closed else { throw SidecarError(.scrape, "unterminated value of label \(key)") }
                labels[key] = value
            }
        }
        let rest = line[index...].split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = rest.first, let value = number(first), rest.count <= 2 else {
            throw SidecarError(.scrape, "bad value for \(name)")
        }
        return Sample(name: name, labels: labels, value: value)
    }
}
