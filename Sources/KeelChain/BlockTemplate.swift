import KeelCore

/// A block ready for nonce search: header (nonce zero), transactions (coinbase first), and the
/// chain generation it was built at, so miners can tell when it went stale.
public struct BlockTemplate: Sendable {
    /// The header to search nonces over.
    public let header: BlockHeader
    /// Coinbase then mempool transactions by fee rate.
    public let transactions: [Transaction]
    /// The chain's template generation when built (changes with the tip or the mempool).
    public let generation: UInt64
    /// The lowest timestamp a block on this parent may carry.
    public let minimumTimestamp: UInt64
    /// Fees collected by the coinbase.
    public let fees: Amount

    /// The block with `nonce` and `timestamp` filled in.
    public func block(nonce: UInt64, timestamp: UInt64) -> Block {
        var header = self.header
        header.nonce = nonce
        header.timestamp = max(timestamp, minimumTimestamp)
        return Block(header: header, transactions: transactions)
    }
}
