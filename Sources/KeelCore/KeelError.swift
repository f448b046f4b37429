/// A stable error code of one domain (`ChainError.Code` is `ErrorCode<ChainError>`): a string
/// that never changes once published, so scripts and callers can match on it, and a new code
/// never breaks them. Each domain declares its codes in `extension ErrorCode where Domain == X`.
public struct ErrorCode<Domain>: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code as written in logs, API errors and CLI output (`storage_locked`).
    public let rawValue: String

    /// Wraps a code's text.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The code's text.
    public var description: String { rawValue }
}

/// Every Keel error has the same shape, so the CLIs, the API and the logs render any of them
/// the same way: a stable code, a message for people, the underlying cause (RocksDB's status,
/// libcurl's code, an errno: kept, never flattened away), the exit status a command ends with,
/// and, when the message does not already say it, what to do.
public protocol KeelError: Error, Sendable, CustomStringConvertible {
    /// The domain of the error's codes (the error type itself).
    associatedtype CodeDomain
    /// What failed.
    var code: ErrorCode<CodeDomain> { get }
    /// What happened, for people; it names what to do when there is something to do.
    var message: String { get }
    /// The underlying failure, if any.
    var cause: (any Error & Sendable)? { get }
    /// The status a command that stops on this error exits with: 1 failed while running (a
    /// restart may help), 2 could not start or was misconfigured (a restart changes nothing).
    var exitStatus: Int32 { get }
    /// A remedy to print after the message, when the message does not give one.
    var hint: String? { get }
    /// The one line a CLI or a log prints.
    var rendered: String { get }
}

extension KeelError {
    /// Failed while running, unless a type says otherwise.
    public var exitStatus: Int32 { 1 }

    /// None unless a type gives one.
    public var hint: String? { nil }

    /// The code's text, also through `any KeelError`.
    public var codeName: String { code.rawValue }

    /// The message, with the cause when there is one.
    public var description: String { cause.map { "\(message) (\($0))" } ?? message }

    /// The one line a CLI or a log prints: `storage_locked: message (cause); hint`.
    public var rendered: String { "\(codeName): \(description)" + (hint.map { "; \($0)" } ?? "") }
}
