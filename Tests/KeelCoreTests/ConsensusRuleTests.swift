import KeelCore
import KeelTesting
import Testing

/// One test per consensus rule: a block that breaks exactly that rule is refused with its code.
@Suite("Consensus rules", .ownThread)
struct ConsensusRuleTests {
    let network = Network.dev
    let key = SigningKey()
    let now = SystemClock().nowMilliseconds()
    let funding = OutPoint(txid: Hash256(bytes: [UInt8](repeating: 7, count: 32))!, index: 0)
    let parent: ParentContext
    var view = MemoryUTXOView()

    init() {
        parent = ParentContext(
            hash: Hash256(bytes: [UInt8](repeating: 3, count: 32))!, height: 20, timestamp: now - 60_000,
            target: Network.dev.powLimit, medianTimePast: now - 61_000,
            intervalStartTimestamp: nil, intervalStartHeight: nil)
        view.entries[funding] = UTXOEntry(output: TxOutput(amount: .coins(50), addressHash: key.addressHash), height: 1, isCoinbase: true)
    }

    func pay(_ amount: Amount, from outpoint: OutPoint? = nil, key: SigningKey? = nil) -> Transaction {
        BlockFactory.spend([(outpoint ?? funding, key ?? self.key)], to: [TxOutput(amount: amount, addressHash: .burn)])
    }

    func block(_ txs: [Transaction] = [], fees: Amount = .zero, extraReward: UInt64 = 0) -> Block {
        BlockFactory.make(parent: parent, network: network, transactions: txs, fees: fees, extraReward: extraReward)
    }

    func validate(_ block: Block, view: MemoryUTXOView? = nil) throws {
        try ConsensusRules.checkHeader(block.header, parent: parent, network: network, now: now)
        let txids = try ConsensusRules.checkStructure(block, network: network)
        _ = try BlockValidation.validate(block, txids: txids, view: view ?? self.view, network: network, verifier: SignatureVerifier())
    }

    func expectRule(_ code: ConsensusError.Code, _ block: Block, view: MemoryUTXOView? = nil) {
        let error = #expect(throws: ConsensusError.self) { try validate(block, view: view) }
        #expect(error?.code == code, "expected \(code), got \(String(describing: error))")
    }

    /// Changes a header and re-grinds so only the intended rule fails.
    func regrind(_ block: Block, _ change: (inout BlockHeader) -> Void) -> Block {
        var copy = block
        change(&copy.header)
        BlockFactory.grind(&copy)
        return copy
    }

    @Test("a block that follows every rule is accepted, fees included")
    func validBlock() throws {
        try validate(block([pay(.coins(49))], fees: .coins(1)))
    }

    @Test("proof of work") func proofOfWork() {
        var bad = block()
        BlockFactory.antiGrind(&bad)
        expectRule(.proofOfWork, bad)
    }

    @Test("difficulty") func difficulty() {
        expectRule(.difficulty, regrind(block()) { $0.target = CompactTarget(bits: 0x207f_fffe) })
    }

    @Test("merkle root") func merkleRoot() {
        expectRule(.merkleRoot, regrind(block()) { $0.merkleRoot = .zero })
    }

    @Test("previous hash") func previousHash() {
        expectRule(.previousHash, regrind(block()) { $0.previousHash = .zero })
    }

    @Test("height") func height() {
        expectRule(.height, regrind(block()) { $0.height += 1 })
    }

    @Test("timestamp too far in the future") func timestampTooNew() {
        expectRule(.timestampTooNew, regrind(block()) { $0.timestamp = now + network.maxFutureDrift + 1_000 })
    }

    @Test("timestamp not above the median of the last 11") func timestampTooOld() {
        expectRule(.timestampTooOld, regrind(block()) { $0.timestamp = parent.medianTimePast })
    }

    @Test("block size") func blockSize() {
        let wide = (0..<4).map { n in
            Transaction(
                inputs: [
                    TxInput(
                        previous: OutPoint(txid: .zero, index: UInt32(n)), publicKey: key.publicKey,
                        signature: [UInt8](repeating: 0, count: 64))
                ],
                outputs: [TxOutput](repeating: TxOutput(amount: .zero, addressHash: .burn), count: 20_000))
        }
        expectRule(.blockSize, block(wide))
    }

    @Test("coinbase amount above subsidy plus fees") func coinbaseAmount() {
        expectRule(.coinbaseAmount, block([pay(.coins(49))], fees: .coins(1), extraReward: 1))
    }

    @Test("coinbase maturity") func coinbaseMaturity() {
        var young = view
        young.entries[funding] = UTXOEntry(
            output: TxOutput(amount: .coins(50), addressHash: key.addressHash),
            height: parent.height - network.coinbaseMaturity + 2, isCoinbase: true)
        expectRule(.coinbaseMaturity, block([pay(.coins(50))]), view: young)
    }

    @Test("missing or already-spent input") func missingInput() {
        let ghost = OutPoint(txid: Hash256(bytes: [UInt8](repeating: 9, count: 32))!, index: 3)
        expectRule(.missingInput, block([pay(.coins(1), from: ghost)]))
    }

    @Test("double spend inside a block") func doubleSpend() {
        expectRule(.doubleSpend, block([pay(.coins(10)), pay(.coins(20))]))
    }

    @Test("overspending") func overspend() {
        expectRule(.overspend, block([pay(.coins(51))]))
    }

    @Test("bad signature") func badSignature() {
        var tx = pay(.coins(50))
        tx.inputs[0].signature[5] ^= 0x40
        expectRule(.badSignature, block([tx]))
    }

    @Test("a key that does not own the output") func wrongOwner() {
        expectRule(.badSignature, block([pay(.coins(50), key: SigningKey())]))
    }

    @Test("structure: coinbase must be first and carry the height") func structure() {
        var noCoinbase = block([pay(.coins(50))])
        noCoinbase.transactions.removeFirst()
        BlockFactory.fixMerkle(&noCoinbase)
        BlockFactory.grind(&noCoinbase)
        expectRule(.malformed, noCoinbase)
    }
}
