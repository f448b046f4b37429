import KeelCore

/// The pool of unconfirmed transactions, bounded by count and bytes. When full, a newcomer
/// paying a higher fee rate evicts the lowest-fee-rate entries; otherwise it is refused.
/// Pure data structure: validation and persistence are the chain state's job.
public struct Mempool: Sendable {
    /// Bounds on the pool.
    public struct Limits: Sendable {
        /// Most transactions held.
        public var maxCount: Int
        /// Most encoded bytes held.
        public var maxBytes: Int
        /// Creates limits.
        public init(maxCount: Int = 50_000, maxBytes: Int = 64 << 20) {
            self.maxCount = maxCount
            self.maxBytes = maxBytes
        }
    }

    /// One pooled transaction.
    public struct Entry: Sendable {
        /// The transaction.
        public let tx: Transaction
        /// Its id.
        public let txid: Hash256
        /// Inputs minus outputs.
        public let fee: Amount
        /// Encoded size in bytes.
        public let size: Int
        /// Base units per byte.
        public var feeRate: Double { Double(fee.units) / Double(max(size, 1)) }
    }

    /// The bounds in force.
    public let limits: Limits
    private(set) var entries: [Hash256: Entry] = [:]
    private(set) var spends: [OutPoint: Hash256] = [:]
    /// Encoded bytes held.
    public private(set) var totalBytes = 0

    /// An empty pool.
    public init(limits: Limits = Limits()) { self.limits = limits }

    /// Number of transactions.
    public var count: Int { entries.count }
    /// Whether `txid` is pooled.
    public func contains(_ txid: Hash256) -> Bool { entries[txid] != nil }
    /// The pooled entry for `txid`.
    public func entry(_ txid: Hash256) -> Entry? { entries[txid] }
    /// The pooled transaction spending `outpoint`, if any.
    public func spender(of outpoint: OutPoint) -> Hash256? { spends[outpoint] }

    /// Entries by fee rate, highest first (ties by txid, so templates are deterministic).
    public var byFeeRate: [Entry] {
        entries.values.sorted { $0.feeRate != $1.feeRate ? $0.feeRate > $1.feeRate : $0.txid < $1.txid }
    }

    /// Adds `entry`, evicting lower-fee-rate entries if needed; returns the evicted ids.
    mutating func insert(_ entry: Entry) throws -> [Hash256] {
        guard entry.size <= limits.maxBytes else {
            throw ChainError(.mempoolFull, "transaction of \(entry.size) bytes is larger than the mempool")
        }
        var evicted = [Hash256]()
        if entries.count + 1 > limits.maxCount || totalBytes + entry.size > limits.maxBytes {
            var count = entries.count, bytes = totalBytes
            for victim in byFeeRate.reversed() {
                guard count + 1 > limits.maxCount || bytes + entry.size > limits.maxBytes else { break }
                guard victim.feeRate < entry.feeRate else {
                    throw ChainError(
                        .mempoolFull,
                        "mempool is full (\(limits.maxCount) transactions, \(limits.maxBytes) bytes) and every entry pays at least this fee rate")
                }
                evicted.append(victim.txid)
                count -= 1
                bytes -= victim.size
            }
        }
        for txid in evicted { remove(txid) }
        entries[entry.txid] = entry
        totalBytes += entry.size
        for input in entry.tx.inputs { spends[input.previous] = entry.txid }
        return evicted
    }

    /// Removes `txid` if pooled.
    @discardableResult
    mutating func remove(_ txid: Hash256) -> Entry? {
        guard let entry = entries.removeValue(forKey: txid) else { return nil }
        totalBytes -= entry.size
        for input in entry.tx.inputs where spends[input.previous] == txid { spends[input.previous] = nil }
        return entry
    }
}
