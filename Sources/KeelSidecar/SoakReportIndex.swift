import Foundation
import Synchronization

/// The soak reports under the sidecar's `state_dir/soak` (one directory per run, holding
/// `report.json` and `chart.svg`), with their verdicts, newest first. Verdicts are cached by
/// the report's modification time, so a page refresh reads only what changed. Only names this
/// index lists are ever served, which keeps a request from naming any other file.
public final class SoakReportIndex: Sendable {
    /// One report.
    public struct Report: Sendable, Equatable {
        /// The report's directory name (`memory-20261204-101500`).
        public var name: String
        /// Unix seconds the report was written.
        public var written: Double
        /// Whether the soak passed; nil when `report.json` could not be read.
        public var passed: Bool?
        /// Why it failed (or why the report is unreadable).
        public var failure: String?
        /// Whether `chart.svg` is there.
        public var hasChart: Bool

        /// A report as listed.
        public init(name: String, written: Double, passed: Bool?, failure: String?, hasChart: Bool) {
            self.name = name
            self.written = written
            self.passed = passed
            self.failure = failure
            self.hasChart = hasChart
        }
    }

    /// The directory holding one directory per soak run.
    public let directory: String
    /// Reports listed, newest first.
    public let limit: Int
    private let cache = Mutex<[String: Report]>([:])

    /// An index of `directory`, listing up to `limit` reports.
    public init(directory: String, limit: Int = 50) {
        self.directory = directory
        self.limit = limit
    }

    /// The reports, newest first (none when the directory does not exist yet).
    public func reports() -> [Report] {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory) else { return [] }
        var found = [Report]()
        for name in names where SoakReportIndex.isSafe(name) {
            let json = directory + "/" + name + "/report.json"
            guard let attributes = try? fm.attributesOfItem(atPath: json),
                let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970
            else { continue }
            if let cached = cache.withLock({ $0[name] }), cached.written == modified {
                found.append(cached)
                continue
            }
            let report = SoakReportIndex.read(name: name, json: json, written: modified, hasChart: fm.fileExists(atPath: directory + "/" + name + "/chart.svg"))
            cache.withLock { $0[name] = report }
            found.append(report)
        }
        let listed = Array(found.sorted { ($0.written, $0.name) > ($1.written, $1.name) }.prefix(limit))
        let keep = Set(listed.map(\.name))
        cache.withLock { $0 = $0.filter { keep.contains($0.key) } }
        return listed
    }

    /// The path of `file` (`report.json` or `chart.svg`) of the listed report `name`; nil for
    /// anything else.
    public func file(_ file: String, of name: String) -> String? {
        guard ["report.json", "chart.svg"].contains(file), reports().contains(where: { $0.name == name }) else { return nil }
        return directory + "/" + name + "/" + file
    }

    /// Names made of letters, digits, `-`, `_` and `.` (not leading): nothing that walks out.
    static func isSafe(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 128 && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.".unicodeScalars.contains($0) }
    }

    private static func read(name: String, json: String, written: Double, hasChart: Bool) -> Report {
        guard let data = FileManager.default.contents(atPath: json),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let passed = object["passed"] as? Bool
        else {
            return Report(name: name, written: written, passed: nil, failure: "report.json cannot be read", hasChart: hasChart)
        }
        return Report(name: name, written: written, passed: passed, failure: object["failure"] as? String, hasChart: hasChart)
    }
}
