import KeelChain
import KeelCore
import KeelMining
import KeelTesting
import Testing

@Suite("Miner", .keepsArtifacts)
struct MinerTests {
    @Test("mines blocks on worker threads; start and stop are idempotent and stop waits for the workers")
    func startStop() async throws {
        let a = try TestChain()
        let miner = Miner(chain: a.chain)
        miner.start(threads: 2, payTo: a.miner.addressHash)
        miner.start(threads: 2, payTo: a.miner.addressHash)
        #expect(miner.status == Miner.Status(active: true, threads: 2, payTo: a.miner.addressHash))
        try await Poll.until("a.chain.tip.height >= 5", timeout: 30) { a.chain.tip.height >= 5 }
        miner.stop()
        miner.stop()
        #expect(!miner.status.active)
        let height = a.chain.tip.height
        let hashes = miner.hashesTotal
        // Stopped means stopped: nothing more is hashed or mined.
        #expect(miner.hashesTotal == hashes)
        #expect(a.chain.tip.height == height)
        #expect(miner.blocksFound >= 5)
        miner.start(threads: 1, payTo: a.miner.addressHash)
        try await Poll.until("miner.hashesTotal > hashes", timeout: 30) { miner.hashesTotal > hashes }
        miner.stop()
        _ = try StartupCheck().run(store: a.store, full: true)
    }

    @Test("mined blocks pay the configured address")
    func payout() async throws {
        let a = try TestChain()
        let payee = SigningKey()
        let miner = Miner(chain: a.chain)
        miner.start(threads: 1, payTo: payee.addressHash)
        try await Poll.until("a.chain.tip.height >= 2", timeout: 30) { a.chain.tip.height >= 2 }
        miner.stop()
        let balance = try a.chain.balance(of: payee.addressHash)
        #expect(balance.count == Int(a.chain.tip.height))
    }
}

@Suite("Miner accounting", .keepsArtifacts)
struct MinerAccountingTests {
    @Test("hashes that find a block mid-batch are counted")
    func countsPartialBatches() async throws {
        let a = try TestChain()
        let miner = Miner(chain: a.chain)
        miner.start(threads: 1, payTo: a.miner.addressHash)
        // At the dev limit about two hashes find a block, so the first blocks never fill a batch.
        try await Poll.until("a.chain.tip.height >= 3", timeout: 30) { a.chain.tip.height >= 3 }
        miner.stop()
        #expect(miner.hashesTotal >= a.chain.tip.height)
    }
}
