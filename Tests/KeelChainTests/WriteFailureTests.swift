import KeelChain
import KeelCore
import KeelStorage
import KeelTesting
import Testing

@Suite("A write that fails mid-reorg leaves the store and the mempool consistent", .ownThread, .keepsArtifacts)
struct WriteFailureTests {
    @Test("the reorg stops at a block boundary; memory and store agree; once writes work the longer branch wins", arguments: [1, 3, 5])
    func failureMidReorg(failAfter: Int) throws {
        var rng = SeededGenerator(seed: UInt64(failAfter))
        let a = try TestChain()
        let main = try a.extendWithActivity(14, rng: &rng)
        let depth = 4
        let forkPoint = main[main.count - depth - 1].hash
        let fork = try a.branch(from: forkPoint, count: depth)  // equal work: no reorg yet
        #expect(a.chain.tip.hash == main.last!.hash)
        let longer = BlockFactory.make(parent: a.context(on: fork.last!.hash), network: .dev, payTo: AddressHash(publicKey: fork.last!.hash.bytes))

        // The block is stored, then `depth` disconnects are written one by one, then the
        // `depth + 1` connects as one group: six writes, the last of them the group's.
        a.store.writeGate.failAfter(failAfter)
        #expect(throws: StorageError.self) { try a.chain.submit(longer, origin: .peer) }
        #expect(a.store.writeGate.pause != nil, "the failed write closes the gate")

        let stored = try #require(try a.store.tip())
        #expect(stored.hash == a.chain.tip.hash && stored.height == a.chain.tip.height, "memory and store agree on the tip")
        _ = try StartupCheck().run(store: a.store, full: true)
        for entry in a.chain.mempoolEntries {
            for input in entry.tx.inputs {
                let funded = try a.store.utxo(input.previous) != nil || a.chain.mempoolTransaction(input.previous.txid) != nil
                #expect(funded, "mempool transaction \(entry.txid) spends an output that exists")
            }
        }
        // While the gate is closed nothing else is written.
        #expect(throws: StorageError.self) { try a.chain.submit(BlockFactory.make(parent: a.context(on: a.chain.tip.hash), network: .dev), origin: .miner) }

        a.store.writeGate.reopen()
        let next = BlockFactory.make(parent: a.context(on: longer.hash), network: .dev, payTo: AddressHash(publicKey: longer.hash.bytes))
        try a.chain.submit(next, origin: .peer)
        #expect(a.chain.tip.hash == next.hash)
        let reference = try TestChain()
        for block in main.prefix(main.count - depth) + fork + [longer, next] { try reference.chain.submit(block, origin: .peer) }
        #expect(try a.chain.utxoSetHash() == reference.chain.utxoSetHash())
        _ = try StartupCheck().run(store: a.store, full: true)
    }
}
