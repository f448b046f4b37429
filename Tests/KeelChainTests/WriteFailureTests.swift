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

    @Test("blocks submitted together whose one store write fails are each refused with the error and forgotten; submitted again they connect")
    func batchStoreFails() throws {
        let source = try TestChain()
        let blocks = try source.extend(8)
        let a = try TestChain()
        for block in blocks.prefix(3) { try a.chain.submit(block, origin: .peer) }

        a.store.writeGate.failAfter(0)
        let results = a.chain.submit(Array(blocks[3...]), origin: .peer)
        #expect(results.count == 5)
        for result in results {
            #expect(throws: StorageError.self) { try result.get() }
        }
        #expect(a.chain.tip.height == 3)
        #expect(blocks[3...].allSatisfy { !a.chain.knowsBlock($0.hash) }, "nothing of the failed write is stored")

        // Had the index kept them, its best entry would be a branch whose bodies are not
        // stored, and this block's connect would try to move to it.
        a.store.writeGate.reopen()
        let own = try a.extend(1)
        #expect(a.chain.tip.hash == own[0].hash)
        for result in a.chain.submit(Array(blocks[3...]), origin: .peer) { _ = try result.get() }
        #expect(a.chain.tip.hash == blocks.last!.hash, "the longer branch, submitted again, wins")
        _ = try StartupCheck().run(store: a.store, full: true)
    }
}
