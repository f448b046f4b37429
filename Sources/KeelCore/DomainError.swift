/// What sets one error type apart from another: its codes (declared as `ErrorCode` constants
/// where `Domain == DomainError<Self>`), and which of them a restart cannot fix.
public protocol ErrorDomain: Sendable {
    /// The status a command that stops on `code` exits with (see `KeelError.exitStatus`).
    static func exitStatus(for code: ErrorCode<DomainError<Self>>) -> Int32
}

extension ErrorDomain {
    /// 1 (failed while running) for every code, unless a domain says otherwise.
    public static func exitStatus(for code: ErrorCode<DomainError<Self>>) -> Int32 { 1 }
}

/// The one shape of Keel's errors that carry nothing beyond a code, a message and a cause:
/// `ChainError`, `P2PError`, `SidecarError` and `WalletError` are this type over their own
/// domains, so each is a distinct type (`catch let e as ChainError` catches only its own) with
/// its own codes, and none repeats the fields, the initialiser or the rendering.
public struct DomainError<Domain: ErrorDomain>: KeelError {
    /// The kind of failure. New codes may be added without breaking callers.
    public typealias Code = ErrorCode<DomainError<Domain>>

    /// The kind of failure.
    public let code: Code
    /// What happened and, where there is something to do, what.
    public let message: String
    /// The underlying failure as it came (RocksDB's status, an errno, NIO's error, a YAML error).
    public let cause: (any Error & Sendable)?

    /// `cause` keeps the underlying failure as it came; the message should not repeat it.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// As the domain decides for the code.
    public var exitStatus: Int32 { Domain.exitStatus(for: code) }
}
