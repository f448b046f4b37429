import Foundation

/// Small text files that may be absent (`api.url`, `api.token`, `sidecar.url`): absence is an
/// answer, any other failure (permissions, a directory in the way) is an error to report, not a
/// missing file to paper over.
public enum TextFile {
    /// The file's text without surrounding whitespace, or nil when there is no such file.
    public static func readIfPresent(_ path: String) throws -> String? {
        do {
            return try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            return nil
        }
    }
}
