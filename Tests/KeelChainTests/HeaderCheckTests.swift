import KeelChain
import KeelCore
import KeelStorage
import KeelTesting
import Testing

/// Headers are checked against the chain rules before any block is fetched, and blocks from
/// peers are stored only when their branch has enough work (the anti-DoS rules of issue 14).
@Suite("Header checks without blocks, and the work a branch needs to be stored", .ownThread, .keepsArtifacts)
struct HeaderCheckTests {
    /// A chain whose blocks come twice as fast as intended, so the target moves at every
    /// retarget interval (dev: every 10 blocks).
    static func retargetingChain(_ chain: TestChain, count: Int) throws -> [Block] {
        var blocks = [Block]()
        for _ in 0..<count {
            let parent = chain.context()
            let block = BlockFactory.make(
                parent: parent, network: chain.network, payTo: chain.miner.addressHash,
                timestamp: max(parent.timestamp, parent.medianTimePast) + chain.network.targetSpacing / 2)
            try chain.chain.submit(block, origin: .miner)
            blocks.append(block)
        }
        return blocks
    }

    @Test("the header check accepts what the chain accepts across retargets, from genesis or mid-chain, and sums the same work")
    func agreesWithTheChain() throws {
        let a = try TestChain()
        let blocks = try HeaderCheckTests.retargetingChain(a, count: 45)
        #expect(blocks.last!.header.target != blocks.first!.header.target, "the target never moved")
        let fresh = try TestChain()
        var check = try #require(fresh.chain.headerCheck(extending: Network.dev.genesis.hash))
        for block in blocks { try check.append(block.header, now: a.network.genesis.header.timestamp + 1_000_000_000) }
        #expect(check.work == a.chain.tipWork)
        #expect(check.tip.hash == blocks.last!.hash)
        // From a stored block in the middle, the rest checks out too.
        var middle = try #require(a.chain.headerCheck(extending: blocks[22].hash))
        for block in blocks[23...] { try middle.append(block.header, now: .max / 2) }
        #expect(middle.work == a.chain.tipWork)
    }

    @Test("a header that declares an easier target than the rules give is refused, though its hash meets the target it declares")
    func declaredTargetRefused() throws {
        let a = try TestChain()
        let blocks = try HeaderCheckTests.retargetingChain(a, count: 25)
        var check = try #require(a.chain.headerCheck(extending: blocks.last!.hash))
        var header = BlockHeader(
            height: blocks.last!.header.height + 1, previousHash: blocks.last!.hash, merkleRoot: .zero,
            timestamp: blocks.last!.header.timestamp + 100, target: Network.dev.powLimit)
        while !header.target.isMet(by: header.hash) { header.nonce += 1 }
        #expect(throws: ConsensusError.self) { try check.append(header, now: .max / 2) }
        #expect(check.tip.hash == blocks.last!.hash, "a refused header moved the check")
    }

    @Test("a sibling of genesis is not stored from a peer, asked for or not; one within the margin of the tip is")
    func workRule() throws {
        let a = try TestChain()
        let main = try a.extend(Int(ChainState.workMarginBlocks) + 20)
        let sibling = a.makeBlock(on: Network.dev.genesis.hash, payTo: AddressHash(publicKey: [7]))
        for rule in [ChainState.WorkRule.unrequested, .requested(claimedWork: .zero)] {
            #expect { try a.chain.submit(sibling, origin: .peer, rule: rule) } throws: { ($0 as? ChainError)?.code == .lowWork }
        }
        #expect(!a.chain.knowsBlock(sibling.hash))
        #expect(try a.store.block(sibling.hash) == nil, "the refused block reached the disk")
        // A branch 10 blocks below the tip is within the margin when asked for...
        let near = a.makeBlock(on: main[main.count - 11].hash, payTo: AddressHash(publicKey: [8]))
        #expect { try a.chain.submit(near, origin: .peer, rule: .unrequested) } throws: { ($0 as? ChainError)?.code == .lowWork }
        #expect(try a.chain.submit(near, origin: .peer, rule: .requested(claimedWork: .zero)).status == .sideBranch)
        // ...and a low block is stored when its checked headers proved more work than the tip.
        let deep = a.makeBlock(on: main[0].hash, payTo: AddressHash(publicKey: [9]))
        let proved = a.chain.tipWork + Network.dev.powLimit.work
        #expect(try a.chain.submit(deep, origin: .peer, rule: .requested(claimedWork: proved)).status == .sideBranch)
        // The miner and the API are not under the rule.
        let old = a.makeBlock(on: main[1].hash, payTo: AddressHash(publicKey: [10]))
        #expect(try a.chain.submit(old, origin: .api).status == .sideBranch)
    }
}

@Suite("Dead side branches are pruned from the store", .ownThread, .keepsArtifacts)
struct SideBranchPruneTests {
    @Test("a side branch far below the tip is deleted (header, heights entry, body); the active chain and a live branch stay; a restart keeps the prune height")
    func prunes() throws {
        let directory = TemporaryDirectory("prune")
        var a: TestChain? = try TestChain(directory: directory)
        let chain = a!
        let main = try chain.extend(20)
        let dead = try chain.branch(from: main[4].hash, count: 3)
        #expect(dead.allSatisfy { chain.chain.knowsBlock($0.hash) })
        try chain.extend(Int(ChainState.pruneDepth + ChainState.pruneEvery) + 10)
        // A branch near the tip stays: it may still win.
        let tipHeight = chain.chain.tip.height
        let parent = try #require(try chain.chain.block(atHeight: tipHeight - 2))
        let near = try chain.branch(from: parent.hash, count: 1)
        try chain.extend(1)
        for block in dead {
            #expect(!chain.chain.knowsBlock(block.hash), "a dead side block is still known")
            #expect(try chain.store.block(block.hash) == nil, "a dead side block's body is still stored")
            #expect(try chain.store.header(block.hash) == nil)
        }
        #expect(try !chain.store.headerHashes(fromHeight: 0).contains(dead[0].hash))
        #expect(chain.chain.knowsBlock(near[0].hash))
        for block in main { #expect(try chain.store.block(block.hash) != nil, "an active block was pruned") }
        let pruned = try chain.store.prunedHeight()
        #expect(pruned > 0)
        let miner = chain.miner
        chain.close()
        a = nil
        let again = try TestChain(directory: directory, miner: miner)
        #expect(try again.store.prunedHeight() == pruned)
        #expect(again.chain.tip.height == tipHeight + 1)
    }
}
