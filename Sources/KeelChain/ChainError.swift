import KeelCore

/// A chain-state failure that is not a consensus verdict: inconsistent storage, an unknown
/// block, a refused mempool transaction.
public typealias ChainError = DomainError<ChainErrorDomain>

/// The domain of `ChainError`: its codes, and that an inconsistent store stops the node for good.
public enum ChainErrorDomain: ErrorDomain {
    /// 2 for an inconsistent store (the node will not start on it: `--reindex`), else 1.
    public static func exitStatus(for code: ChainError.Code) -> Int32 { code == .inconsistent ? 2 : 1 }
}

/// The codes of `ChainError`.
extension ErrorCode where Domain == ChainError {
    /// Stored chain state disagrees with itself; `--reindex` rebuilds it.
    public static let inconsistent = Self(rawValue: "chain_inconsistent")
    /// A block or transaction the node does not have.
    public static let notFound = Self(rawValue: "not_found")
    /// The transaction is already in the mempool or the chain.
    public static let alreadyKnown = Self(rawValue: "already_known")
    /// The transaction spends an output another mempool transaction spends.
    public static let mempoolConflict = Self(rawValue: "mempool_conflict")
    /// The mempool is full of transactions paying a higher fee rate.
    public static let mempoolFull = Self(rawValue: "mempool_full")
    /// The block is already known to be invalid.
    public static let knownInvalid = Self(rawValue: "known_invalid")
    /// The block's branch has too little work to be stored (not the sender's fault as such).
    public static let lowWork = Self(rawValue: "low_work")
}
