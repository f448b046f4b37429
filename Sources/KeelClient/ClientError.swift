import KeelCore

/// A failure talking to a node.
public struct ClientError: KeelError {
    /// The kind of failure. New codes may be added without breaking callers.
    public typealias Code = ErrorCode<ClientError>

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

    /// `apiCode` and `status` only for `.api`; `cause` keeps libcurl's error.
    public init(_ code: Code, _ message: String, apiCode: String? = nil, status: Int? = nil, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.apiCode = apiCode
        self.status = status
        self.cause = cause
    }

    /// The message (its cause, libcurl's code, is in `cause`; the message already says what
    /// went wrong in words).
    public var description: String { message }

    /// What `keel` exits with: 1 the node refused the request, 3 the node is unreachable, 2 the
    /// request could not be made (no address, no token, an answer that does not parse).
    public var exitStatus: Int32 {
        switch code {
        case .api: 1
        case .transport, .timeout: 3
        default: 2
        }
    }
}

/// The codes of `ClientError`.
extension ErrorCode where Domain == ClientError {
    /// No connection or no response.
    public static let transport = Self(rawValue: "transport")
    /// The node did not answer in time.
    public static let timeout = Self(rawValue: "timeout")
    /// The node answered with an API error (the node's code is in `apiCode`).
    public static let api = Self(rawValue: "api")
    /// The node's answer did not parse.
    public static let protocolError = Self(rawValue: "protocol")
    /// The node could not be found (no address, no token).
    public static let configuration = Self(rawValue: "configuration")
}
