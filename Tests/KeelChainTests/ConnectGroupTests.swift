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

    /// Every result before `bad` connected, `bad` rejected by `rule`, every later one (its
    /// descendants) stored on a side branch: only the bad block's result names the rule, so only
    /// its sender is blamed.
    static func expectRejected(
        _ results: [Result<ChainState.SubmitResult, any Error>], at bad: Int, by rule: ConsensusError.Code, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for (i, result) in results.enumerated() {
            switch i {
            case ..<bad:
                #expect((try? result.get().status) == .connected, "block \(i): \(result)", sourceLocation: sourceLocation)
            case bad:
                let error = #expect(throws: ConsensusError.self, sourceLocation: sourceLocation) { try result.get() }
                #expect(error?.code == rule, sourceLocation: sourceLocation)
            default:
                #expect((try? result.get().status) == .sideBranch, "block \(i): \(result)", sourceLocation: sourceLocation)
            }
        }
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
        Self.expectRejected(b.chain.submit(submitted, origin: .peer), at: bad, by: .badSignature)
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

    /// A chain whose every block's signatures are checked on other threads (a threshold of one
    /// job), the way a block of 1,000 transactions is: the next block is validated meanwhile.
    static func pipelined() throws -> TestChain { try TestChain(verifier: SignatureVerifier(parallelThreshold: 1, workers: 2)) }

    @Test(
        "signatures checked while the next block is validated: a bad one anywhere rejects exactly its block",
        arguments: [0, 1, 30, 63, 64, 77])
    func badSignatureWhilePipelined(position: Int) throws {
        let (a, blocks) = try Self.history(90, seed: 11)
        let start = 12, bad = start + position
        let (broken, child) = try a.withBrokenSignature(blocks[bad])
        let b = try Self.pipelined()
        for block in blocks.prefix(start) { try b.chain.submit(block, origin: .peer) }
        // 64 blocks make a group: positions 63 and 64 are the last of one and the first of the next.
        let submitted = Array(blocks[start..<bad]) + [broken, child]
        Self.expectRejected(b.chain.submit(submitted, origin: .peer), at: position, by: .badSignature)
        #expect(b.chain.tip.hash == blocks[bad - 1].hash)
        #expect(b.chain.isValid(broken.hash) == false)
        let reference = try TestChain()
        for block in blocks.prefix(bad) { try reference.chain.submit(block, origin: .peer) }
        #expect(try b.chain.utxoSetHash() == reference.chain.utxoSetHash())
        _ = try StartupCheck().run(store: b.store, full: true)
    }

    @Test("a bad signature, then a child that spends nothing real: the signature is the fault, the child is marked with it")
    func badSignatureBeforeABadSpend() throws {
        let (a, blocks) = try Self.history(20, seed: 5)
        let (broken, _) = try a.withBrokenSignature(blocks[16])
        // The child is checked (and fails its inputs) while the broken block's signatures are
        // still being checked: the earlier failure must be the one reported.
        let stranger = SigningKey()
        let missing = OutPoint(txid: Hash256(bytes: [UInt8](repeating: 7, count: 32))!, index: 0)
        let spend = BlockFactory.spend([(missing, stranger)], to: [TxOutput(amount: Amount(units: 1_000), addressHash: stranger.addressHash)])
        let context = a.context(on: blocks[16].hash)
        let child = BlockFactory.make(
            parent: ParentContext(
                hash: broken.hash, height: context.height, timestamp: context.timestamp, target: context.target,
                medianTimePast: context.medianTimePast, intervalStartTimestamp: context.intervalStartTimestamp,
                intervalStartHeight: context.intervalStartHeight),
            network: a.network, transactions: [spend], payTo: a.miner.addressHash)
        let b = try Self.pipelined()
        Self.expectRejected(b.chain.submit(Array(blocks.prefix(16)) + [broken, child], origin: .peer), at: 16, by: .badSignature)
        #expect(b.chain.tip.hash == blocks[15].hash)
        _ = try StartupCheck().run(store: b.store, full: true)
    }

    @Test("a good block, then one that spends nothing real, checked while the first's signatures are: only the second is rejected")
    func badSpendAfterAGoodBlock() throws {
        let (a, blocks) = try Self.history(20, seed: 6)
        let stranger = SigningKey()
        let missing = OutPoint(txid: Hash256(bytes: [UInt8](repeating: 9, count: 32))!, index: 0)
        let spend = BlockFactory.spend([(missing, stranger)], to: [TxOutput(amount: Amount(units: 1_000), addressHash: stranger.addressHash)])
        let bad = BlockFactory.make(parent: a.context(on: blocks[16].hash), network: a.network, transactions: [spend], payTo: a.miner.addressHash)
        let b = try Self.pipelined()
        Self.expectRejected(b.chain.submit(Array(blocks.prefix(17)) + [bad], origin: .peer), at: 17, by: .missingInput)
        #expect(b.chain.tip.hash == blocks[16].hash)
        _ = try StartupCheck().run(store: b.store, full: true)
    }
}
