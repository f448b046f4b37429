import KeelCore

/// A wallet problem, for people. Never carries a key, a seed or a passphrase.
public typealias WalletError = DomainError<WalletErrorDomain>

/// The domain of `WalletError`: its codes (`keel wallet` picks its exit status by where the error arose).
public enum WalletErrorDomain: ErrorDomain {}

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
