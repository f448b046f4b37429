/// A chain-state failure that is not a consensus verdict: inconsistent storage, an unknown
/// block, a refused mempool transaction.
public struct ChainError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. New codes may be added without breaking callers.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The stable code string.
        public let rawValue: String
        /// Creates a code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The description is the raw code.
        public var description: String { rawValue }
        /// Stored chain state disagrees with itself; `--reindex` rebuilds it.
        public static let inconsistent = Code(rawValue: "chain_inconsistent")
        /// A block or transaction the node does not have.
        public static let notFound = Code(rawValue: "not_found")
        /// The transaction is already in the mempool or the chain.
        public static let alreadyKnown = Code(rawValue: "already_known")
        /// The transaction spends an output another mempool transaction spends.
        public static let mempoolConflict = Code(rawValue: "mempool_conflict")
        /// The mempool is full of transactions paying a higher fee rate.
        public static let mempoolFull = Code(rawValue: "mempool_full")
        /// The block is already known to be invalid.
        public static let knownInvalid = Code(rawValue: "known_invalid")
        /// The block's branch has too little work to be stored (not the sender's fault as such).
        public static let lowWork = Code(rawValue: "low_work")
    }

    /// The kind of failure.
    public let code: Code
    /// What happened and what to do.
    public let message: String
    /// The underlying failure.
    public let cause: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The message, with the cause when there is one.
    public var description: String { cause.map { "\(message) (\($0))" } ?? message }
}
