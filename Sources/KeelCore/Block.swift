/// A block: a header and its transactions, the first of which is the coinbase.
public struct Block: Hashable, Sendable, CanonicalCodable {
    /// Bound on transactions per block, checked before allocating.
    public static let maxTransactions = 100_000

    /// The header; its `merkleRoot` must commit to `transactions`.
    public var header: BlockHeader
    /// The transactions, coinbase first.
    public var transactions: [Transaction]

    /// Memberwise; nothing is checked until the block is validated.
    public init(header: BlockHeader, transactions: [Transaction]) {
        self.header = header
        self.transactions = transactions
    }

    /// The header's hash.
    public var hash: Hash256 { header.hash }

    /// Encodes header then transactions.
    public func encode(to writer: inout ByteWriter) {
        writer.write(header)
        writer.writeVarInt(UInt64(transactions.count))
        for tx in transactions { writer.write(tx) }
    }

    /// Reads a block.
    public init(from reader: inout ByteReader) throws {
        header = try BlockHeader(from: &reader)
        transactions = try reader.readList(max: Block.maxTransactions, field: "transactions") { try Transaction(from: &$0) }
    }
}

/// Merkle roots over transaction ids (Bitcoin's construction; the duplicate-last ambiguity is
/// closed by rejecting blocks with duplicate transaction ids).
public enum Merkle {
    /// The root of `ids`; zero for an empty list.
    public static func root(_ ids: [Hash256]) -> Hash256 {
        guard !ids.isEmpty else { return .zero }
        var level = ids
        while level.count > 1 {
            if level.count % 2 == 1 { level.append(level[level.count - 1]) }
            var next = [Hash256]()
            next.reserveCapacity(level.count / 2)
            for i in stride(from: 0, to: level.count, by: 2) {
                next.append(Hash256.sha256d(level[i].bytes + level[i + 1].bytes))
            }
            level = next
        }
        return level[0]
    }
}
