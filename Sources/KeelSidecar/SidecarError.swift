import KeelCore

/// A sidecar failure: a bad configuration, a node that cannot be started, an I/O problem.
public struct SidecarError: KeelError {
    /// A stable code.
    public typealias Code = ErrorCode<SidecarError>

    /// What failed.
    public let code: Code
    /// What to do about it.
    public let message: String
    /// The underlying error (errno, YAML parser error).
    public let cause: (any Error & Sendable)?

    /// 2 for a bad configuration (a restart cannot fix it), else 1.
    public var exitStatus: Int32 { code == .configuration ? 2 : 1 }

    /// `cause` keeps the underlying failure (a YAML error, an errno) as it came.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }
}

/// The codes of `SidecarError`.
extension ErrorCode where Domain == SidecarError {
    /// The configuration file is missing, malformed, or names an unknown or invalid field.
    public static let configuration = Self(rawValue: "configuration")
    /// The node could not be started (exec failed, pipes could not be made).
    public static let spawn = Self(rawValue: "spawn_failed")
    /// A file in the state directory could not be read or written.
    public static let storage = Self(rawValue: "storage")
    /// The node's `/metrics` could not be fetched or parsed.
    public static let scrape = Self(rawValue: "scrape")
    /// A soak found the node outside its limits.
    public static let soakFailed = Self(rawValue: "soak_failed")
}

/// An errno as an error.
public struct Errno: Error, Sendable, CustomStringConvertible {
    /// The value.
    public let code: Int32
    /// Wraps `code`.
    public init(_ code: Int32) { self.code = code }
    /// `strerror` text and the number.
    public var description: String { "\(String(cString: strerror(code))) (errno \(code))" }
}

#if canImport(Glibc)
    import Glibc
#endif
