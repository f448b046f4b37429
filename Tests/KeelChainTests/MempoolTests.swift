import KeelChain
import KeelCore
import KeelStorage
import KeelTesting
import Testing

@Suite("Mempool", .ownThread, .keepsArtifacts)
struct MempoolTests {
    func funded(_ blocks: Int = 16, limits: Mempool.Limits = Mempool.Limits()) throws -> (TestChain, [(OutPoint, UTXOEntry)]) {
        let a = try TestChain(mempoolLimits: limits)
        try a.extend(blocks)
        return (a, try a.matureCoinbases())
    }

    func pay(_ chain: TestChain, _ coin: (OutPoint, UTXOEntry), fee: UInt64) -> Transaction {
        BlockFactory.spend([(coin.0, chain.miner)], to: [TxOutput(amount: Amount(units: coin.1.output.amount.units - fee), addressHash: .burn)])
    }

    @Test("accepts valid transactions; refuses duplicates, conflicts, bad signatures and unknown inputs")
    func admission() throws {
        let (a, coins) = try funded()
        let tx = pay(a, coins[0], fee: 1_000)
        try a.chain.submitTransaction(tx)
        #expect((#expect(throws: ChainError.self) { try a.chain.submitTransaction(tx) })?.code == .alreadyKnown)
        let rival = pay(a, coins[0], fee: 2_000)
        #expect((#expect(throws: ChainError.self) { try a.chain.submitTransaction(rival) })?.code == .mempoolConflict)
        var forged = pay(a, coins[1], fee: 1_000)
        forged.inputs[0].signature[0] ^= 1
        #expect((#expect(throws: ConsensusError.self) { try a.chain.submitTransaction(forged) })?.code == .badSignature)
        let ghost = BlockFactory.spend([(OutPoint(txid: .zero, index: 9), a.miner)], to: [TxOutput(amount: .coins(1), addressHash: .burn)])
        #expect((#expect(throws: ConsensusError.self) { try a.chain.submitTransaction(ghost) })?.code == .missingInput)
        #expect(a.chain.mempoolSize.count == 1)
    }

    @Test("when full, lower fee rates are evicted for higher ones and a low payer is refused")
    func eviction() throws {
        let (a, coins) = try funded(limits: Mempool.Limits(maxCount: 3, maxBytes: 1 << 20))
        let txs = (0..<3).map { pay(a, coins[$0], fee: UInt64(1_000 * ($0 + 1))) }
        for tx in txs { try a.chain.submitTransaction(tx) }
        let cheap = pay(a, coins[3], fee: 500)
        #expect((#expect(throws: ChainError.self) { try a.chain.submitTransaction(cheap) })?.code == .mempoolFull)
        let rich = pay(a, coins[4], fee: 50_000)
        try a.chain.submitTransaction(rich)
        let held = Set(a.chain.mempoolEntries.map(\.txid))
        #expect(held == Set([txs[1].txid, txs[2].txid, rich.txid]))
        #expect(a.chain.mempoolEntries.first?.txid == rich.txid)
        #expect(try a.store.mempoolTransactions().count == 3)
    }

    @Test("mined transactions and their conflicts leave the pool; the template carries the pool")
    func minedAndTemplate() throws {
        let (a, coins) = try funded()
        let tx = pay(a, coins[0], fee: 1_000)
        try a.chain.submitTransaction(tx)
        let template = try a.chain.blockTemplate(payTo: a.miner.addressHash)
        #expect(template.transactions.count == 2)
        #expect(template.fees.units == 1_000)
        #expect(try a.chain.blockTemplate(payTo: a.miner.addressHash).generation == template.generation)
        var block = template.block(nonce: 0, timestamp: template.minimumTimestamp)
        BlockFactory.grind(&block)
        try a.chain.submit(block, origin: .miner)
        #expect(a.chain.mempoolSize.count == 0)
        #expect(try a.store.mempoolTransactions().isEmpty)
        #expect(try a.chain.blockTemplate(payTo: a.miner.addressHash).generation != template.generation)
    }

    @Test("the persisted pool is revalidated on load: what no longer validates is dropped")
    func revalidation() throws {
        let (a, coins) = try funded()
        let key = a.miner
        let good = pay(a, coins[0], fee: 1_000)
        try a.chain.submitTransaction(good)
        let stale = BlockFactory.spend([(OutPoint(txid: .zero, index: 1), key)], to: [TxOutput(amount: .coins(1), addressHash: .burn)])
        var batch = WriteBatch()
        batch.putMempool(stale, txid: stale.txid)
        try a.store.write(batch, sync: true)
        a.close()
        let b = try TestChain(directory: a.directory, miner: key)
        #expect(b.chain.mempoolEntries.map(\.txid) == [good.txid])
        #expect(try b.store.mempoolTransactions().map(\.txid) == [good.txid])
    }

    @Test("the size read without the chain's lock follows the pool: admissions, a block, a rewind, a restart")
    func publishedSize() throws {
        let (a, coins) = try funded()
        func pooled(_ chain: TestChain) -> (count: Int, bytes: Int) {
            let entries = chain.chain.mempoolEntries
            return (entries.count, entries.reduce(0) { $0 + $1.size })
        }
        func agrees(_ chain: TestChain, _ count: Int) -> Bool {
            let size = chain.chain.mempoolSize, pool = pooled(chain)
            return size.count == count && size.count == pool.count && size.bytes == pool.bytes
        }
        #expect(agrees(a, 0))
        for coin in coins.prefix(3) { try a.chain.submitTransaction(pay(a, coin, fee: 1_000)) }
        #expect(agrees(a, 3))
        let template = try a.chain.blockTemplate(payTo: a.miner.addressHash)
        var block = template.block(nonce: 0, timestamp: template.minimumTimestamp)
        BlockFactory.grind(&block)
        try a.chain.submit(block, origin: .miner)
        #expect(agrees(a, 0), "a block confirmed them")
        try a.chain.rewind(toHeight: a.chain.tip.height - 1)
        #expect(agrees(a, 3), "rewound, they are back in the pool")
        a.close()
        let b = try TestChain(directory: a.directory, miner: a.miner)
        // At start the chain moves to the most-work branch again: the block confirms them anew.
        #expect(b.chain.tip.hash == block.hash)
        #expect(agrees(b, 0), "reloaded at start: \(b.chain.mempoolSize), \(pooled(b))")
    }
}
