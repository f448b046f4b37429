/// A sidecar failure: a bad configuration, a node that cannot be started, an I/O problem.
public struct SidecarError: Error, Sendable, CustomStringConvertible {
    /// A stable code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's text.
        public let rawValue: String
        /// Wraps a code's text.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code's text.
        public var description: String { rawValue }

        /// The configuration file is missing, malformed, or names an unknown or invalid field.
        public static let configuration = Code(rawValue: "configuration")
        /// The node could not be started (exec failed, pipes could not be made).
        public static let spawn = Code(rawValue: "spawn_failed")
        /// A file in the state directory could not be read or written.
        public static let storage = Code(rawValue: "storage")
        /// The node's `/metrics` could not be fetched or parsed.
        public static let scrape = Code(rawValue: "scrape")
        /// A soak found the node outside its limits.
        public static let soakFailed = Code(rawValue: "soak_failed")
    }

    /// What failed.
    public let code: Code
    /// What to do about it.
    public let message: String
    /// The underlying error (errno, YAML parser error).
    public let cause: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The message with its cause.
    public var description: String { cause.map { "\(message) (\($0))" } ?? message }
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
