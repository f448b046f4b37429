import KeelChain
import KeelCore
import KeelStorage
import KeelTesting
import Testing

@Suite("Start-up check, corruption and reindex", .ownThread, .keepsArtifacts)
struct StartupCheckTests {
    /// A closed data directory holding a 20-block chain, and that chain's tip and UTXO hash.
    func makeDirectory() throws -> (TemporaryDirectory, ChainState.Tip, Hash256, [Block]) {
        var rng = SeededGenerator(seed: 3)
        let dir = TemporaryDirectory("corrupt")
        let a = try TestChain(directory: dir)
        let blocks = try a.extendWithActivity(20, rng: &rng)
        let tip = a.chain.tip
        let utxo = try a.chain.utxoSetHash()
        _ = try StartupCheck().run(store: a.store, full: true)
        a.close()
        return (dir, tip, utxo, blocks)
    }

    /// Opens the closed directory, applies `damage` in one synced batch, and closes it again.
    func corrupt(_ dir: TemporaryDirectory, _ damage: (ChainStore, inout WriteBatch) throws -> Void) throws {
        let store = try ChainStore(directory: dir.path, network: .dev)
        defer { store.close() }
        var batch = WriteBatch()
        try damage(store, &batch)
        try store.write(batch, sync: true)
    }

    func expectRefusal(_ dir: TemporaryDirectory, mentioning fragment: String) throws {
        let store = try ChainStore(directory: dir.path, network: .dev)
        defer { store.close() }
        let error = #expect(throws: ChainError.self) { try StartupCheck().run(store: store) }
        #expect(error?.code == .inconsistent)
        #expect(error?.message.contains("--reindex") == true)
        #expect(error?.message.contains(fragment) == true, "message: \(error?.message ?? "")")
    }

    func expectReindexRestores(_ dir: TemporaryDirectory, tip: ChainState.Tip, utxo: Hash256) throws {
        #expect(try reindex(dir) == tip)
        let store = try ChainStore(directory: dir.path, network: .dev)
        defer { store.close() }
        #expect(try store.utxoSetHash().hash == utxo)
    }

    func reindex(_ dir: TemporaryDirectory) throws -> ChainState.Tip {
        let store = try ChainStore(directory: dir.path, network: .dev)
        let (chain, _) = try Reindexer.run(store: store, logger: .init(label: "test"))
        _ = try StartupCheck().run(store: store, full: true)
        let tip = chain.tip
        chain.close()
        return tip
    }

    @Test("a flipped byte in a stored block is caught; --reindex recovers up to the block before it")
    func flippedBlock() throws {
        let (dir, tip, _, blocks) = try makeDirectory()
        let victim = blocks[blocks.count - 3].hash
        try corrupt(dir) { store, batch in
            var raw = try #require(try store.database.get(.blocks, victim.bytes))
            raw[raw.count / 2] ^= 0x10
            batch.put(.blocks, victim.bytes, raw)
        }
        try expectRefusal(dir, mentioning: "checksum")
        let recovered = try reindex(dir)
        #expect(recovered.height == tip.height - 3)
    }

    @Test("a deleted height-index entry is caught; --reindex restores the same chain")
    func deletedHeight() throws {
        let (dir, tip, utxo, _) = try makeDirectory()
        try corrupt(dir) { _, batch in batch.deleteHeight(tip.height - 4) }
        try expectRefusal(dir, mentioning: "height index has no entry at height \(tip.height - 4)")
        try expectReindexRestores(dir, tip: tip, utxo: utxo)
    }

    @Test("a truncated value is caught; --reindex restores the same chain")
    func truncated() throws {
        let (dir, tip, utxo, _) = try makeDirectory()
        try corrupt(dir) { store, batch in
            let raw = try #require(try store.database.get(.headers, tip.hash.bytes))
            batch.put(.headers, tip.hash.bytes, Array(raw.prefix(raw.count / 2)))
        }
        try expectRefusal(dir, mentioning: "headers")
        try expectReindexRestores(dir, tip: tip, utxo: utxo)
    }

    @Test("the full check catches a UTXO set that differs from the blocks")
    func utxoDrift() throws {
        let (dir, _, _, _) = try makeDirectory()
        let store = try ChainStore(directory: dir.path, network: .dev)
        defer { store.close() }
        var batch = WriteBatch()
        batch.addUTXO(OutPoint(txid: .zero, index: 77), UTXOEntry(output: TxOutput(amount: .coins(1000), addressHash: .burn), height: 1, isCoinbase: false))
        try store.write(batch, sync: true)
        _ = try StartupCheck().run(store: store)  // the quick check does not replay
        let error = #expect(throws: ChainError.self) { try StartupCheck().run(store: store, full: true) }
        #expect(error?.message.contains("UTXO set") == true)
    }
}
