import KeelCore

/// Builds blocks that pass the header rules on a given parent, grinding the nonce until the
/// proof of work is met (a couple of hashes at the dev network's limit).
public enum BlockFactory {
    /// A block on `parent` with `transactions` after a coinbase paying `payTo` the subsidy plus
    /// `fees` (plus `extraReward`, to build a bad coinbase). Timestamps advance by exactly the
    /// target spacing, which keeps the difficulty where it is.
    public static func make(
        parent: ParentContext, network: Network, transactions: [Transaction] = [],
        payTo: AddressHash = .burn, fees: Amount = .zero, extraReward: UInt64 = 0,
        timestamp: UInt64? = nil
    ) -> Block {
        let height = parent.height + 1
        let reward = Amount(units: network.subsidy(at: height).units + fees.units + extraReward)
        let coinbase = Transaction.coinbase(height: height, amount: reward, to: payTo)
        let txs = [coinbase] + transactions
        let header = BlockHeader(
            height: height, previousHash: parent.hash, merkleRoot: Merkle.root(txs.map(\.txid)),
            timestamp: timestamp ?? max(parent.timestamp, parent.medianTimePast) + network.targetSpacing,
            target: parent.nextTarget(network: network))
        var block = Block(header: header, transactions: txs)
        grind(&block)
        return block
    }

    /// Recomputes the merkle root from the transactions.
    public static func fixMerkle(_ block: inout Block) {
        block.header.merkleRoot = Merkle.root(block.transactions.map(\.txid))
    }

    /// Searches nonces until the header meets its target (no-op on an impossible target).
    public static func grind(_ block: inout Block) {
        guard block.header.target.target != nil else { return }
        while !block.header.target.isMet(by: block.header.hash) { block.header.nonce &+= 1 }
    }

    /// Searches nonces until the header does *not* meet its target.
    public static func antiGrind(_ block: inout Block) {
        while block.header.target.isMet(by: block.header.hash) { block.header.nonce &+= 1 }
    }

    /// A signed transaction spending `inputs` (each with its owner's key) to `outputs`.
    public static func spend(_ inputs: [(OutPoint, SigningKey)], to outputs: [TxOutput]) -> Transaction {
        var tx = Transaction(
            inputs: inputs.map { TxInput(previous: $0.0, publicKey: $0.1.publicKey, signature: [UInt8](repeating: 0, count: 64)) },
            outputs: outputs)
        tx.sign(with: inputs.map(\.1))
        return tx
    }
}
