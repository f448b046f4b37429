import Foundation
import Synchronization

/// The last `capacity` lines of one output stream, oldest dropped first: memory stays bounded
/// however much a node prints.
public final class LogBuffer: Sendable {
    /// Lines kept.
    public let capacity: Int
    private let state: Mutex<(lines: [String], head: Int, total: UInt64)>

    /// An empty buffer of `capacity` lines.
    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        state = Mutex(([], 0, 0))
    }

    /// Appends a line (longer than 16 KiB: cut, so one line cannot take the memory of many).
    public func append(_ line: String) {
        let kept = line.utf8.count > 16_384 ? String(decoding: Array(line.utf8.prefix(16_384)), as: UTF8.self) + "..." : line
        state.withLock { s in
            s.total += 1
            if s.lines.count < capacity {
                s.lines.append(kept)
            } else {
                s.lines[s.head] = kept
                s.head = (s.head + 1) % capacity
            }
        }
    }

    /// The last `count` lines (all kept by default), oldest first.
    public func lines(last count: Int? = nil) -> [String] {
        state.withLock { s in
            let ordered = Array(s.lines[s.head...] + s.lines[..<s.head])
            return Array(ordered.suffix(count ?? ordered.count))
        }
    }

    /// Lines ever appended.
    public var totalLines: UInt64 { state.withLock { $0.total } }
}

/// Removes secrets from text before it leaves the machine (alerts) or the process (logs API):
/// the node's API token, bearer credentials, and `secret=`/`token=`/`password=` style values.
public struct Redactor: Sendable {
    /// Exact strings to hide (the API token, webhook secrets).
    public var secrets: [String]

    /// A redactor for `secrets`.
    public init(secrets: [String] = []) { self.secrets = secrets.filter { $0.count >= 8 } }

    /// `text` with every secret replaced by `[REDACTED]`.
    public func redact(_ text: String) -> String {
        var out = text
        for secret in secrets { out = out.replacingOccurrences(of: secret, with: "[REDACTED]") }
        for marker in ["Bearer ", "bearer "] { out = Redactor.hideValue(after: marker, in: out) }
        for key in ["token=", "secret=", "password=", "passphrase=", "token\":\"", "secret\":\"", "password\":\""] {
            out = Redactor.hideValue(after: key, in: out)
        }
        return out
    }

    private static func hideValue(after marker: String, in text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let range = rest.range(of: marker) {
            result += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            let end = rest.firstIndex { $0 == " " || $0 == "\"" || $0 == "," || $0 == "&" || $0 == "\n" } ?? rest.endIndex
            if end != rest.startIndex { result += "[REDACTED]" }
            rest = rest[end...]
        }
        return result + rest
    }
}
