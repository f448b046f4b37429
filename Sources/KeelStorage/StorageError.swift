import KeelCore

/// A storage failure. RocksDB's own status text is kept in `cause`.
public struct StorageError: KeelError {
    /// The kind of failure. New codes may be added without breaking callers.
    public typealias Code = ErrorCode<StorageError>

    /// The kind of failure.
    public let code: Code
    /// What happened and, where there is one, what to do.
    public let message: String
    /// The underlying failure (RocksDB's status, an errno, a decoding error).
    public let cause: (any Error & Sendable)?
    /// Which of RocksDB's files is damaged, for `corruption` found on open.
    public let damage: StoreDamage?

    /// 2 for what stops a node from starting (the directory is held, missing, damaged, or its
    /// disk is full): restarting changes nothing until someone acts.
    public var exitStatus: Int32 { [.locked, .notFound, .corruption, .open, .noSpace].contains(code) ? 2 : 1 }

    /// `cause` keeps RocksDB's status as it came; `damage` says what is damaged when that is the problem.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil, damage: StoreDamage? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
        self.damage = damage
    }
}

/// The codes of `StorageError`.
extension ErrorCode where Domain == StorageError {
    /// The database could not be opened.
    public static let open = Self(rawValue: "storage_open")
    /// Another process (or this one) holds the data directory.
    public static let locked = Self(rawValue: "storage_locked")
    /// A read or write failed.
    public static let io = Self(rawValue: "storage_io")
    /// Stored bytes failed their checksum or did not decode.
    public static let corruption = Self(rawValue: "storage_corruption")
    /// The store is closed.
    public static let closed = Self(rawValue: "storage_closed")
    /// The data directory is missing or is not a Keel data directory.
    public static let notFound = Self(rawValue: "storage_not_found")
    /// The disk holding the data directory is full.
    public static let noSpace = Self(rawValue: "storage_no_space")
}

/// A RocksDB status as its C API reports it: the text, whose first words are RocksDB's code
/// ("IO error", "Corruption", "Invalid argument", ...).
public struct RocksDBStatus: Error, Sendable, CustomStringConvertible {
    /// RocksDB's message.
    public let text: String
    /// RocksDB's status code, the part before the first colon.
    public var code: String { text.split(separator: ":", maxSplits: 1).first.map(String.init) ?? text }
    /// `RocksDB: text`.
    public var description: String { "RocksDB: \(text)" }
}

/// An errno from a system call.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    /// The call that failed.
    public let call: String
    /// The errno value.
    public let errno: Int32
    /// `call: strerror(errno)`.
    public var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

#if canImport(Glibc)
    import Glibc
#endif
