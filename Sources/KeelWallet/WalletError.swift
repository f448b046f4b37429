import KeelCore

/// A wallet problem, for people. Never carries a key, a seed or a passphrase.
public struct WalletError: KeelError {
    /// The kind of problem. New codes may be added without breaking callers.
    public typealias Code = ErrorCode<WalletError>

    /// The kind of problem.
    public let code: Code
    /// What went wrong and what to do.
    public let message: String
    /// The underlying failure (a file error), never one that could carry key material.
    public let cause: (any Error & Sendable)?

    /// An error of `code`.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The message alone: the causes kept here are file errors the message already names.
    public var description: String { message }
}

/// The codes of `WalletError`.
extension ErrorCode where Domain == WalletError {
    /// There is no wallet at the path, or it is not a wallet file, or it cannot be read or written.
    public static let file = Self(rawValue: "wallet_file")
    /// A wallet is there already: it is never overwritten.
    public static let exists = Self(rawValue: "wallet_exists")
    /// The passphrase does not open the keys (or is too short for a new wallet).
    public static let passphrase = Self(rawValue: "wallet_passphrase")
    /// The file opens but its contents do not decode: restore it from a backup.
    public static let damaged = Self(rawValue: "wallet_damaged")
    /// A payment that cannot be made as asked (a bad address, a zero amount, an overflow).
    public static let request = Self(rawValue: "wallet_request")
    /// The spendable outputs do not cover the amount and the fee.
    public static let insufficientFunds = Self(rawValue: "insufficient_funds")
}
