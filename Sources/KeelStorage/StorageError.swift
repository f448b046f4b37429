/// A storage failure. RocksDB's own status text is kept in `cause`.
public struct StorageError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added without breaking callers.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The stable code string.
        public let rawValue: String
        /// Creates a code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The description is the raw code.
        public var description: String { rawValue }
        /// The database could not be opened.
        public static let open = Code(rawValue: "storage_open")
        /// Another process (or this one) holds the data directory.
        public static let locked = Code(rawValue: "storage_locked")
        /// A read or write failed.
        public static let io = Code(rawValue: "storage_io")
        /// Stored bytes failed their checksum or did not decode.
        public static let corruption = Code(rawValue: "storage_corruption")
        /// The store is closed.
        public static let closed = Code(rawValue: "storage_closed")
        /// The data directory is missing or is not a Keel data directory.
        public static let notFound = Code(rawValue: "storage_not_found")
        /// The disk holding the data directory is full.
        public static let noSpace = Code(rawValue: "storage_no_space")
    }

    /// The kind of failure.
    public let code: Code
    /// What happened and, where there is one, what to do.
    public let message: String
    /// The underlying failure (RocksDB's status, an errno, a decoding error).
    public let cause: (any Error & Sendable)?
    /// Which of RocksDB's files is damaged, for `corruption` found on open.
    public let damage: StoreDamage?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil, damage: StoreDamage? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
        self.damage = damage
    }

    /// The message, with the cause when there is one.
    public var description: String {
        if let cause { return "\(message) (\(cause))" }
        return message
    }
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
