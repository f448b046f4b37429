import KeelCore

/// A sidecar failure: a bad configuration, a node that cannot be started, an I/O problem.
public typealias SidecarError = DomainError<SidecarErrorDomain>

/// The domain of `SidecarError`: its codes, and that a bad configuration stops the sidecar for good.
public enum SidecarErrorDomain: ErrorDomain {
    /// 2 for a bad configuration (a restart cannot fix it), else 1.
    public static func exitStatus(for code: SidecarError.Code) -> Int32 { code == .configuration ? 2 : 1 }
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
