import Foundation

/// A fresh directory under the system temp dir, removed when the value is released; inside a
/// test's artifact scope, removed only if the test passes (see `TestArtifacts`).
public final class TemporaryDirectory: Sendable {
    /// Its absolute path.
    public let path: String
    private let scope: TestArtifacts?

    /// Creates `$TMPDIR/keel-<prefix>-XXXXXX`.
    public init(_ prefix: String = "test") {
        path = TemporaryDirectory.make(prefix)
        scope = TestArtifacts.current
    }

    /// Makes `$TMPDIR/keel-<prefix>-XXXXXX` and returns its path (nothing removes it).
    static func make(_ prefix: String) -> String {
        let base = NSTemporaryDirectory().hasSuffix("/") ? String(NSTemporaryDirectory().dropLast()) : NSTemporaryDirectory()
        var template = Array((base + "/keel-\(prefix)-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "mkdtemp failed")
        return String(cString: created!)
    }

    /// A path inside the directory.
    public func appending(_ name: String) -> String { path + "/" + name }

    deinit {
        if let scope {
            scope.keep(directory: path)
        } else {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
