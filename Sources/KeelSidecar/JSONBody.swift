import Foundation

/// The JSON of the sidecar's outgoing alert bodies: sorted keys, slashes as written. They hold
/// strings and integers only (labels, annotations, times as RFC 3339 text), which JSONEncoder
/// cannot fail to encode: only a non-finite number can make it throw.
enum JSONBody {
    /// `value` as JSON bytes.
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            preconditionFailure("an alert body of strings did not encode: \(error)")
        }
    }
}
