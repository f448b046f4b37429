/// The consensus rules, as pure functions over blocks, a parent context and a UTXO view.
/// Cheap checks run before signatures, so the reported rule is the same on every node.
public enum ConsensusRules {
    /// Checks a header against its parent: previous hash, height, difficulty, proof of work and
    /// timestamp window.
    /// `hash` is the header's hash when the caller already has it (hashing is most of the cost).
    public static func checkHeader(
        _ header: BlockHeader, hash: Hash256? = nil, parent: ParentContext, network: Network,
        now: UInt64
    ) throws(ConsensusError) {
        guard header.previousHash == parent.hash else {
            throw ConsensusError(.previousHash, "previous hash \(header.previousHash) is not the parent \(parent.hash)")
        }
        guard header.height == parent.height + 1 else {
            throw ConsensusError(.height, "height \(header.height) should be \(parent.height + 1)")
        }
        let expected = parent.nextTarget(network: network)
        guard header.target == expected else {
            throw ConsensusError(.difficulty, "target \(header.target) should be \(expected)")
        }
        let hash = hash ?? header.hash
        guard header.target.isMet(by: hash) else {
            throw ConsensusError(.proofOfWork, "hash \(hash) is above target \(header.target)")
        }
        guard header.timestamp > parent.medianTimePast else {
            throw ConsensusError(.timestampTooOld, "timestamp \(header.timestamp) is not above the median time past \(parent.medianTimePast)")
        }
        guard header.timestamp <= now + network.maxFutureDrift else {
            throw ConsensusError(.timestampTooNew, "timestamp \(header.timestamp) is more than \(network.maxFutureDrift) ms ahead of \(now)")
        }
    }

    /// Checks what needs no chain state: size, coinbase placement and height, non-empty inputs
    /// and outputs, amounts in range, merkle root, duplicate transactions and double spends inside
    /// the block. Returns the transaction ids.
    public static func checkStructure(_ block: Block, network: Network) throws(ConsensusError) -> [Hash256] {
        let size = block.encoded.count
        guard size <= network.maxBlockSize else {
            throw ConsensusError(.blockSize, "block is \(size) bytes; the limit is \(network.maxBlockSize)")
        }
        guard let coinbase = block.transactions.first, coinbase.isCoinbase else {
            throw ConsensusError(.malformed, "the first transaction must be a coinbase")
        }
        guard coinbase.lockTime == block.header.height else {
            throw ConsensusError(.malformed, "coinbase height \(coinbase.lockTime) is not the block height \(block.header.height)")
        }
        var spent = Set<OutPoint>()
        var ids = Set<Hash256>()
        var txids = [Hash256]()
        txids.reserveCapacity(block.transactions.count)
        for (index, tx) in block.transactions.enumerated() {
            if index > 0 && tx.isCoinbase { throw ConsensusError(.malformed, "transaction \(index) is a second coinbase") }
            guard !tx.outputs.isEmpty else { throw ConsensusError(.malformed, "transaction \(index) has no outputs") }
            guard tx.outputTotal != nil else {
                throw ConsensusError(.malformed, "transaction \(index) outputs exceed the money supply")
            }
            for input in tx.inputs where !spent.insert(input.previous).inserted {
                throw ConsensusError(.doubleSpend, "output \(input.previous) is spent twice in the block")
            }
            let txid = tx.txid
            guard ids.insert(txid).inserted else { throw ConsensusError(.malformed, "duplicate transaction \(txid)") }
            txids.append(txid)
        }
        let root = Merkle.root(txids)
        guard root == block.header.merkleRoot else {
            throw ConsensusError(.merkleRoot, "merkle root \(block.header.merkleRoot) should be \(root)")
        }
        return txids
    }

    /// Checks one non-coinbase transaction's inputs against `view` at `spendHeight` and returns
    /// its fee and the signature checks it needs. Signatures themselves are left to the caller,
    /// which batches them.
    public static func checkInputs(
        _ tx: Transaction, view: some UTXOView, spendHeight: UInt64,
        network: Network
    ) throws -> (fee: Amount, spent: [UTXOEntry]) {
        guard !tx.inputs.isEmpty else { throw ConsensusError(.malformed, "transaction has no inputs") }
        guard let outputTotal = tx.outputTotal else {
            throw ConsensusError(.malformed, "outputs exceed the money supply")
        }
        var inputTotal = Amount.zero
        var spent = [UTXOEntry]()
        spent.reserveCapacity(tx.inputs.count)
        for input in tx.inputs {
            guard let entry = try view.entry(for: input.previous) else {
                throw ConsensusError(.missingInput, "input \(input.previous) is missing or already spent")
            }
            if entry.isCoinbase && spendHeight < entry.height + network.coinbaseMaturity {
                throw ConsensusError(
                    .coinbaseMaturity,
                    "coinbase output \(input.previous) from height \(entry.height) matures at \(entry.height + network.coinbaseMaturity)")
            }
            guard AddressHash(publicKey: input.publicKey) == entry.output.addressHash else {
                throw ConsensusError(.badSignature, "input \(input.previous) is signed by a key that does not own it")
            }
            guard let sum = inputTotal.adding(entry.output.amount) else {
                throw ConsensusError(.malformed, "inputs exceed the money supply")
            }
            inputTotal = sum
            spent.append(entry)
        }
        guard outputTotal <= inputTotal else {
            throw ConsensusError(.overspend, "outputs \(outputTotal) exceed inputs \(inputTotal)")
        }
        return (Amount(units: inputTotal.units - outputTotal.units), spent)
    }

    /// The signature checks of a transaction: one per input, all over the same signature hash.
    public static func signatureJobs(for tx: Transaction) -> [SignatureJob] {
        let message = tx.signatureHash.bytes
        return tx.inputs.map { SignatureJob(publicKey: $0.publicKey, signature: $0.signature, message: message) }
    }
}
