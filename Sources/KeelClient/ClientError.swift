/// A failure talking to a node.
public struct ClientError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added without breaking callers.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The stable code string.
        public let rawValue: String
        /// Creates a code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The description is the raw code.
        public var description: String { rawValue }
        /// No connection or no response.
        public static let transport = Code(rawValue: "transport")
        /// The node did not answer in time.
        public static let timeout = Code(rawValue: "timeout")
        /// The node answered with an API error (the node's code is in `apiCode`).
        public static let api = Code(rawValue: "api")
        /// The node's answer did not parse.
        public static let protocolError = Code(rawValue: "protocol")
        /// The node could not be found (no address, no token).
        public static let configuration = Code(rawValue: "configuration")
    }

    /// The kind of failure.
    public let code: Code
    /// What happened, for people.
    public let message: String
    /// The node's error code for `.api` failures (e.g. `bad_address`, `mempool_conflict`).
    public let apiCode: String?
    /// The HTTP status for `.api` failures.
    public let status: Int?
    /// The underlying cause (a `CurlError`).
    public let cause: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, apiCode: String? = nil, status: Int? = nil, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.apiCode = apiCode
        self.status = status
        self.cause = cause
    }

    /// The message.
    public var description: String { message }
}
