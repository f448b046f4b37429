/// The result of validating a block's transactions against the UTXO set.
public struct BlockValidation: Sendable {
    /// Transaction ids, in block order.
    public let txids: [Hash256]
    /// The outputs each non-coinbase transaction spends, in input order (undo data).
    public let spent: [[UTXOEntry]]
    /// Sum of fees.
    public let fees: Amount
    /// Seconds spent checking signatures.
    public let signatureSeconds: Double

    /// Validates everything in `block` that needs chain state: inputs (missing, spent, mature,
    /// owned), amounts, the coinbase total, and every signature (with `verifier`). Outputs
    /// created earlier in the same block may be spent by later transactions.
    public static func validate(
        _ block: Block, txids: [Hash256], view: some UTXOView, network: Network,
        verifier: SignatureVerifier
    ) throws -> BlockValidation {
        let unsigned = try checkInputs(block, txids: txids, view: view, network: network)
        let started = MonotonicTime.now()
        let failure = verifier.verify(unsigned.signatureJobs)
        if let error = unsigned.error(forFailedJob: failure) { throw error }
        return unsigned.validation(signatureSeconds: MonotonicTime.seconds(since: started))
    }

    /// Everything `validate` checks except the signatures, which it returns as jobs: a caller
    /// may check them on other threads while it goes on.
    public static func checkInputs(_ block: Block, txids: [Hash256], view: some UTXOView, network: Network) throws -> Unsigned {
        let height = block.header.height
        var overlay = BlockOverlay(base: view)
        var fees = Amount.zero
        var spent: [[UTXOEntry]] = [[]]
        var jobs = [SignatureJob]()
        var jobOwner = [Int]()
        for (index, tx) in block.transactions.enumerated() {
            if index > 0 {
                let checked: (fee: Amount, spent: [UTXOEntry])
                do { checked = try ConsensusRules.checkInputs(tx, view: overlay, spendHeight: height, network: network) } catch let error as ConsensusError {
                    throw ConsensusError(error.code, "transaction \(index): \(error.message)")
                }
                guard let sum = fees.adding(checked.fee) else { throw ConsensusError(.malformed, "fees overflow") }
                fees = sum
                spent.append(checked.spent)
                for input in tx.inputs { overlay.spend(input.previous) }
                let txJobs = ConsensusRules.signatureJobs(for: tx)
                jobs.append(contentsOf: txJobs)
                jobOwner.append(contentsOf: repeatElement(index, count: txJobs.count))
            }
            for (n, output) in tx.outputs.enumerated() {
                overlay.add(
                    OutPoint(txid: txids[index], index: UInt32(n)),
                    UTXOEntry(output: output, height: height, isCoinbase: index == 0))
            }
        }
        let allowed = network.subsidy(at: height).adding(fees) ?? Amount.maxMoney
        let paid = block.transactions[0].outputTotal ?? Amount.maxMoney
        guard paid <= allowed else {
            throw ConsensusError(.coinbaseAmount, "coinbase pays \(paid); subsidy plus fees is \(allowed)")
        }
        return Unsigned(txids: txids, spent: spent, fees: fees, signatureJobs: jobs, jobOwner: jobOwner)
    }

    /// A block whose inputs passed and whose signatures are still to be checked.
    public struct Unsigned: Sendable {
        /// Transaction ids, in block order.
        public let txids: [Hash256]
        /// The outputs each non-coinbase transaction spends, in input order (undo data).
        public let spent: [[UTXOEntry]]
        /// Sum of fees.
        public let fees: Amount
        /// Every input's signature check, in block order.
        public let signatureJobs: [SignatureJob]
        let jobOwner: [Int]

        /// The rule a failed check breaks, naming the transaction (nil when `index` is nil).
        public func error(forFailedJob index: Int?) -> ConsensusError? {
            index.map { ConsensusError(.badSignature, "transaction \(jobOwner[$0]): signature does not verify") }
        }

        /// The validation, once the signatures verified.
        public func validation(signatureSeconds: Double) -> BlockValidation {
            BlockValidation(txids: txids, spent: spent, fees: fees, signatureSeconds: signatureSeconds)
        }
    }
}

/// A UTXO view that sees outputs created and spent earlier in the block being validated.
struct BlockOverlay<Base: UTXOView>: UTXOView {
    let base: Base
    var created: [OutPoint: UTXOEntry] = [:]
    var spentHere: Set<OutPoint> = []

    init(base: Base) { self.base = base }

    mutating func add(_ outpoint: OutPoint, _ entry: UTXOEntry) { created[outpoint] = entry }
    mutating func spend(_ outpoint: OutPoint) {
        if created.removeValue(forKey: outpoint) == nil { spentHere.insert(outpoint) }
    }

    func entry(for outpoint: OutPoint) throws -> UTXOEntry? {
        if let local = created[outpoint] { return local }
        if spentHere.contains(outpoint) { return nil }
        return try base.entry(for: outpoint)
    }
}
