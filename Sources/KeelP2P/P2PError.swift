/// A failure of the P2P layer itself (not of a peer, which costs that peer only).
public struct P2PError: Error, Sendable, CustomStringConvertible {
    /// A stable code.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's text.
        public let rawValue: String
        /// Wraps a code's text.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The code's text.
        public var description: String { rawValue }

        /// The listen address could not be bound.
        public static let listen = Code(rawValue: "p2p_listen_failed")
        /// The address book could not be read or written.
        public static let storage = Code(rawValue: "p2p_storage_failed")
    }

    /// What failed.
    public let code: Code
    /// What to do about it, for people.
    public let message: String
    /// The underlying error (NIO's, with its errno).
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
