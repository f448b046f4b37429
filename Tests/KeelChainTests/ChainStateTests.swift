import KeelChain
import KeelCore
import KeelStorage
import KeelTesting
import Testing

@Suite("Chain state: connect, disconnect, reorgs, restart", .ownThread, .keepsArtifacts)
struct ChainStateTests {
    @Test("connect N, disconnect K: the UTXO hash equals connecting only N-K", arguments: [(14, 1), (18, 5), (25, 12), (12, 12)])
    func connectDisconnect(n: Int, k: Int) throws {
        var rng = SeededGenerator(seed: UInt64(n * 100 + k))
        let a = try TestChain()
        let blocks = try a.extendWithActivity(n, rng: &rng)
        #expect(a.chain.tip.height == UInt64(n))
        try a.chain.rewind(toHeight: UInt64(n - k))
        let b = try TestChain()
        for block in blocks.prefix(n - k) { try b.chain.submit(block, origin: .peer) }
        #expect(a.chain.tip == b.chain.tip)
        #expect(try a.chain.utxoSetHash() == b.chain.utxoSetHash())
        _ = try StartupCheck().run(store: a.store, full: true)
    }

    @Test("reorgs from forks 1 to 10 blocks deep move to the longer branch with the right UTXO set", arguments: 1...10)
    func reorg(depth: Int) throws {
        var rng = SeededGenerator(seed: UInt64(depth))
        let a = try TestChain()
        let main = try a.extendWithActivity(14, rng: &rng)
        let forkPoint = main[main.count - depth - 1].hash
        let fork = try a.branch(from: forkPoint, count: depth + 1)
        #expect(a.chain.tip.hash == fork.last!.hash)
        #expect(a.chain.tip.height == 14 + 1)

        let reference = try TestChain()
        for block in main.prefix(main.count - depth) + fork { try reference.chain.submit(block, origin: .peer) }
        #expect(try a.chain.utxoSetHash() == reference.chain.utxoSetHash())
        _ = try StartupCheck().run(store: a.store, full: true)

        // Spends from disconnected blocks whose inputs still exist return to the mempool.
        let orphaned = main.suffix(depth).flatMap { $0.transactions.dropFirst() }
        for tx in orphaned {
            let inputsAlive = try tx.inputs.allSatisfy { try a.store.utxo($0.previous) != nil }
            if inputsAlive { #expect(a.chain.mempoolTransaction(tx.txid) != nil) }
        }
    }

    @Test("a branch with equal work does not replace the first-seen tip; one more block does")
    func equalWork() throws {
        let a = try TestChain()
        let main = try a.extend(8)
        let side = try a.branch(from: main[4].hash, count: 3)
        #expect(a.chain.tip.hash == main[7].hash)
        #expect(a.chain.isValid(side.last!.hash) == true)
        let extra = BlockFactory.make(parent: a.context(on: side.last!.hash), network: .dev)
        let result = try a.chain.submit(extra, origin: .peer)
        #expect(result.status == .connected)
        #expect(a.chain.tip.hash == extra.hash)
        // And the submission order decides a tie the other way round too.
        let b = try TestChain()
        for block in main.prefix(5) + side { try b.chain.submit(block, origin: .peer) }
        let late = try b.chain.submit(main[5], origin: .peer)
        for block in main[6...] { try b.chain.submit(block, origin: .peer) }
        #expect(late.status == .sideBranch)
        #expect(b.chain.tip.hash == side.last!.hash)
    }

    @Test("restart: same tip, same UTXO hash, mempool transactions still there")
    func restart() throws {
        var rng = SeededGenerator(seed: 77)
        let dir = TemporaryDirectory("restart")
        let key = SigningKey()
        let first = try TestChain(directory: dir, miner: key)
        try first.extendWithActivity(16, rng: &rng)
        let coin = try #require(try first.matureCoinbases().last)
        let tx = BlockFactory.spend([(coin.0, key)], to: [TxOutput(amount: Amount(units: coin.1.output.amount.units - 500), addressHash: .burn)])
        let txid = try first.chain.submitTransaction(tx)
        let tip = first.chain.tip
        let utxo = try first.chain.utxoSetHash()
        first.close()

        let second = try TestChain(directory: dir, miner: key)
        #expect(second.chain.tip == tip)
        #expect(try second.chain.utxoSetHash() == utxo)
        #expect(second.chain.mempoolTransaction(txid) == tx)
        #expect(try second.store.wasCleanlyShutDown() == false)  // open again
        second.close()
    }

    @Test("an invalid block is refused with its rule, remembered, and its children refused")
    func invalidBlock() throws {
        let a = try TestChain()
        try a.extend(3)
        let bad = BlockFactory.make(parent: a.context(), network: .dev, extraReward: 1)
        let error = #expect(throws: ConsensusError.self) { try a.chain.submit(bad, origin: .peer) }
        #expect(error?.code == .coinbaseAmount)
        #expect(a.chain.tip.height == 3)
        let again = #expect(throws: ChainError.self) { try a.chain.submit(bad, origin: .peer) }
        #expect(again?.code == .knownInvalid)
        let orphan = BlockFactory.make(
            parent: ParentContext(
                hash: .zero, height: 9, timestamp: 1, target: Network.dev.powLimit,
                medianTimePast: 0, intervalStartTimestamp: nil, intervalStartHeight: nil),
            network: .dev)
        let unknown = #expect(throws: ConsensusError.self) { try a.chain.submit(orphan, origin: .peer) }
        #expect(unknown?.code == .previousHash)
    }
}
