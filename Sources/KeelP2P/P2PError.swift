import KeelCore

/// A failure of the P2P layer itself (not of a peer, which costs that peer only).
public struct P2PError: KeelError {
    /// A stable code.
    public typealias Code = ErrorCode<P2PError>

    /// What failed.
    public let code: Code
    /// What to do about it, for people.
    public let message: String
    /// The underlying error (NIO's, with its errno).
    public let cause: (any Error & Sendable)?

    /// `cause` keeps the underlying failure (NIO's error, an errno) as it came.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }
}

/// The codes of `P2PError`.
extension ErrorCode where Domain == P2PError {
    /// The listen address could not be bound.
    public static let listen = Self(rawValue: "p2p_listen_failed")
    /// The address book could not be read or written.
    public static let storage = Self(rawValue: "p2p_storage_failed")
}
