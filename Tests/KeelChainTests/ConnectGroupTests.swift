import KeelChain
import KeelCore
import KeelStorage
import KeelTesting
import Synchronization
import Testing

@Suite("Blocks submitted together are connected in groups written as one", .ownThread, .keepsArtifacts)
struct ConnectGroupTests {
    /// Blocks with activity (spends of mined coinbases), built on `a` one by one.
    static func history(_ count: Int, seed: UInt64) throws -> (TestChain, [Block]) {
        var rng = SeededGenerator(seed: seed)
        let a = try TestChain()
        return (a, try a.extendWithActivity(count, rng: &rng))
    }

    @Test("a group gives the same chain, UTXO set and indexes as the same blocks one by one", arguments: [1, 2, 30, 150])
    func sameAsOneByOne(count: Int) throws {
        let (a, blocks) = try Self.history(count, seed: UInt64(count))
        let b = try TestChain()
        let connected = Mutex(0)
        b.chain.addListener { changes in
            for case .blockConnected in changes { connected.withLock { $0 += 1 } }
        }
        let results = b.chain.submit(blocks, origin: .peer)
        #expect(results.allSatisfy { (try? $0.get().status) == .connected })
        #expect(b.chain.tip == a.chain.tip)
        #expect(try b.chain.utxoSetHash() == a.chain.utxoSetHash())
        #expect(try b.chain.balance(of: a.miner.addressHash) == a.chain.balance(of: a.miner.addressHash))
        // Every block is announced once, in order, after its group is written (150 blocks span
        // three groups of at most 64).
        #expect(connected.withLock { $0 } == count)
        for block in blocks {
            let txid = try #require(block.transactions.last?.txid)
            #expect(try b.store.txLocation(txid)?.blockHash == block.hash)
        }
        _ = try StartupCheck().run(store: b.store, full: true)
    }

    @Test("outputs created and spent inside one group, then the group rewound: the UTXO set is the one before it")
    func spendsInsideTheGroupUndo() throws {
        // Built on `a` one by one; `b` receives the first 12 alone and the last 3 as a group.
        let a = try TestChain()
        let prefix = try a.extend(12)
        // Block 1 spends a mature coinbase into two outputs; block 2 spends one of them; block 3
        // spends the output block 2 made: every spend inside the group.
        let coin = try #require(try a.matureCoinbases().first)
        let first = BlockFactory.spend(
            [(coin.0, a.miner)],
            to: [
                TxOutput(amount: Amount(units: 1_000_000), addressHash: a.miner.addressHash),
                TxOutput(amount: Amount(units: coin.1.output.amount.units - 1_000_000 - 100), addressHash: a.miner.addressHash),
            ])
        let second = BlockFactory.spend(
            [(OutPoint(txid: first.txid, index: 0), a.miner)], to: [TxOutput(amount: Amount(units: 999_000), addressHash: a.miner.addressHash)])
        let third = BlockFactory.spend(
            [(OutPoint(txid: second.txid, index: 0), a.miner)], to: [TxOutput(amount: Amount(units: 998_000), addressHash: a.miner.addressHash)])
        var group = [Block]()
        for (tx, fee) in [(first, 100), (second, 1_000), (third, 1_000)] {
            let block = a.makeBlock(transactions: [tx], fees: Amount(units: UInt64(fee)))
            try a.chain.submit(block, origin: .miner)
            group.append(block)
        }
        let b = try TestChain()
        for block in prefix { try b.chain.submit(block, origin: .peer) }
        let before = try b.chain.utxoSetHash()
        let results = b.chain.submit(group, origin: .peer)
        #expect(results.allSatisfy { (try? $0.get().status) == .connected }, "\(results)")
        #expect(try b.store.utxo(OutPoint(txid: third.txid, index: 0)) != nil)
        #expect(try b.store.utxo(OutPoint(txid: first.txid, index: 0)) == nil)
        #expect(try b.store.utxo(OutPoint(txid: second.txid, index: 0)) == nil)
        #expect(try b.chain.utxoSetHash() == a.chain.utxoSetHash())
        try b.chain.rewind(toHeight: 12)
        #expect(try b.chain.utxoSetHash() == before)
        _ = try StartupCheck().run(store: b.store, full: true)
    }

    @Test("an invalid block in the middle: the blocks before it are committed, it is rejected by rule, its descendant marked invalid with it")
    func invalidInTheMiddle() throws {
        let (a, blocks) = try Self.history(24, seed: 7)
        let bad = 20
        // Block `bad` with a signature broken, its merkle root and proof of work made good
        // again: only the signature check can catch it, once the group reaches it.
        let (broken, child) = try a.withBrokenSignature(blocks[bad])
        let b = try TestChain()
        let submitted = Array(blocks.prefix(bad)) + [broken, child]
        let results = b.chain.submit(submitted, origin: .peer)
        for (i, result) in results.enumerated() {
            switch i {
            case ..<bad:
                #expect((try? result.get().status) == .connected, "block \(i): \(result)")
            case bad:
                let error = #expect(throws: ConsensusError.self) { try result.get() }
                #expect(error?.code == .badSignature)
            default:
                // Its descendant is stored on a side branch, invalid with it; only the bad
                // block's result names the rule (and so only its sender is blamed).
                #expect((try? result.get().status) == .sideBranch, "block \(i): \(result)")
            }
        }
        #expect(b.chain.tip.hash == blocks[bad - 1].hash)
        #expect(b.chain.isValid(broken.hash) == false)
        #expect(b.chain.isValid(child.hash) == false)
        let reference = try TestChain()
        for block in blocks.prefix(bad) { try reference.chain.submit(block, origin: .peer) }
        #expect(try b.chain.utxoSetHash() == reference.chain.utxoSetHash())
        _ = try StartupCheck().run(store: b.store, full: true)
        _ = a
    }

    @Test("blocks already known, and a block whose parent is unknown, get their own answers without stopping the group")
    func mixedGroup() throws {
        let (_, blocks) = try Self.history(6, seed: 3)
        let b = try TestChain()
        try b.chain.submit(blocks[0], origin: .peer)
        // The child of a block `b` has never seen.
        let elsewhere = try TestChain()
        let stranger = try elsewhere.extend(2)[1]
        let results = b.chain.submit(blocks + [stranger], origin: .peer)
        #expect((try? results[0].get().status) == .duplicate)
        #expect(results[1...5].allSatisfy { (try? $0.get().status) == .connected })
        let error = #expect(throws: ConsensusError.self) { try results[6].get() }
        #expect(error?.code == .previousHash)
        #expect(b.chain.tip.hash == blocks[5].hash)
    }
}
