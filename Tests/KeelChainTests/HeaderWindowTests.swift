import KeelChain
import KeelCore
import KeelStorage
import KeelTesting
import Testing

/// The header index keeps a window near the tip in memory and reads older headers from the
/// store. A window of 8 lets short chains reach well past it.
@Suite("Header window: memory holds the tips, the store the rest", .ownThread, .keepsArtifacts)
struct HeaderWindowTests {
    @Test("memory holds the window, not the chain, before and after a restart; old headers still answer from the store")
    func boundedByWindow() throws {
        let directory = TemporaryDirectory("window")
        var a: TestChain? = try TestChain(directory: directory, headerWindow: 8)
        let blocks = try a!.extend(300)
        #expect(a!.chain.headerWindow.count <= 9, "\(a!.chain.headerWindow.count) headers in memory")
        let miner = a!.miner
        a!.close()
        a = nil
        let b = try TestChain(directory: directory, miner: miner, headerWindow: 8)
        #expect(b.chain.tip.hash == blocks.last!.hash)
        #expect(b.chain.headerWindow.count <= 9, "start-up loaded \(b.chain.headerWindow.count) headers")
        // Old headers: known, with a context for their children, and served to peers.
        #expect(b.chain.knowsBlock(blocks[10].hash))
        #expect(b.chain.isValid(blocks[10].hash) == true)
        #expect(b.chain.parentContext(of: blocks[10].hash)?.height == 11)
        let locator = b.chain.locator()
        #expect(locator.first == blocks.last!.hash && locator.last == Network.dev.genesis.hash)
        let served = try b.chain.headers(after: [blocks[20].hash], stop: nil, limit: 50)
        #expect(served.map(\.hash) == blocks[21..<71].map(\.hash))
        // Up to `stop`; across the store and the window to the tip; nothing past the tip.
        #expect(try b.chain.headers(after: [blocks[20].hash], stop: blocks[25].hash, limit: 50).map(\.hash) == blocks[21...25].map(\.hash))
        #expect(try b.chain.headers(after: [blocks[280].hash], stop: nil, limit: 50).map(\.hash) == blocks[281...].map(\.hash))
        #expect(try b.chain.headers(after: [blocks.last!.hash], stop: nil, limit: 50).isEmpty)
        #expect(try b.chain.headers(after: [Hash256(bytes: [UInt8](repeating: 7, count: 32))!], stop: nil, limit: 3).map(\.hash) == blocks[0..<3].map(\.hash))
        // A child of a block far below the window is accepted as a side branch.
        let side = BlockFactory.make(parent: b.context(on: blocks[5].hash), network: .dev, payTo: AddressHash(publicKey: [1]))
        #expect(try b.chain.submit(side, origin: .peer).status == .sideBranch)
        #expect(try b.chain.blockTemplate(payTo: miner.addressHash).header.height == 301)
    }

    @Test("a reorg deeper than the window moves to the longer branch with the right UTXO set", arguments: [9, 30])
    func deepReorg(depth: Int) throws {
        var rng = SeededGenerator(seed: UInt64(depth))
        let a = try TestChain(headerWindow: 8)
        let main = try a.extendWithActivity(40, rng: &rng)
        let fork = try a.branch(from: main[main.count - depth - 1].hash, count: depth + 1)
        #expect(a.chain.tip.hash == fork.last!.hash)
        let reference = try TestChain()
        for block in main.prefix(main.count - depth) + fork { try reference.chain.submit(block, origin: .peer) }
        #expect(try a.chain.utxoSetHash() == reference.chain.utxoSetHash())
        #expect(a.chain.headerWindow.count <= 8 * 4)
        _ = try StartupCheck().run(store: a.store, full: true)
    }

    @Test("an invalid block deep in a longer side branch is found on reorg; the chain returns to its tip and the branch stays refused")
    func invalidDeepInBranch() throws {
        let a = try TestChain(headerWindow: 8)
        let main = try a.extend(40)
        let utxo = try a.chain.utxoSetHash()
        var tip = main[4].hash
        var branch = [Block]()
        for i in 0..<36 {  // heights 6 to 41: the last one outweighs the main chain
            let block = BlockFactory.make(
                parent: a.context(on: tip), network: .dev, payTo: AddressHash(publicKey: tip.bytes),
                extraReward: i == 5 ? 1 : 0)
            try a.chain.submit(block, origin: .peer)
            branch.append(block)
            tip = block.hash
        }
        #expect(a.chain.tip.hash == main.last!.hash, "the chain did not return to its own tip")
        #expect(try a.chain.utxoSetHash() == utxo)
        #expect(a.chain.isValid(branch[4].hash) == true)
        for block in branch[5...] { #expect(a.chain.isValid(block.hash) == false, "height \(block.header.height) still valid") }
        let child = BlockFactory.make(parent: a.context(on: branch.last!.hash), network: .dev)
        #expect(throws: ConsensusError.self) { try a.chain.submit(child, origin: .peer) }
        _ = try StartupCheck().run(store: a.store, full: true)
    }

    @Test("a version 1 database is upgraded on open: every header indexed by height, the sequence kept")
    func upgradeFromVersion1() throws {
        let directory = TemporaryDirectory("v1")
        var a: TestChain? = try TestChain(directory: directory, headerWindow: 8)
        let blocks = try a!.extend(40)
        let miner = a!.miner
        // Make it look like version 1: no header_heights, no sequence, version 1.
        var batch = WriteBatch()
        batch.clear(.headerHeights)
        batch.delete(.meta, Array(MetaKey.headerSequence.rawValue.utf8))
        var version = ByteWriter()
        version.writeBE(UInt32(1))
        batch.putSealed(.meta, Array(MetaKey.schemaVersion.rawValue.utf8), version.bytes)
        try a!.store.write(batch, sync: true)
        a!.close()
        a = nil
        #expect(throws: StorageError.self) { try ChainStore(readOnlyDirectory: directory.path) }
        let b = try TestChain(directory: directory, miner: miner, headerWindow: 8)
        #expect(b.chain.tip.hash == blocks.last!.hash)
        #expect(try b.store.headerHashes(fromHeight: 0).count == 41)
        #expect(try b.store.headerSequence() == 41)
        try b.extend(1)
        #expect(b.chain.tip.height == 41)
    }
}
