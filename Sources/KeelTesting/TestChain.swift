import KeelChain
import KeelCore
import KeelStorage
import Logging

/// A dev-network chain state on a temporary RocksDB store, with a key whose coinbases the
/// helpers mine, for in-process chain tests.
public final class TestChain: Sendable {
    /// The directory (kept alive with the chain).
    public let directory: TemporaryDirectory
    /// A real RocksDB store in `directory`, closed when the chain is released.
    public let store: ChainStore
    /// The chain state.
    public let chain: ChainState
    /// The key mined coinbases pay.
    public let miner: SigningKey
    /// The network (dev).
    public let network = Network.dev

    /// A new chain at genesis (or reopened on `directory`). `headerWindow` shrinks the headers
    /// kept in memory, so tests can reach past it with short chains.
    public init(
        directory: TemporaryDirectory = TemporaryDirectory("chain"), miner: SigningKey = SigningKey(),
        mempoolLimits: Mempool.Limits = Mempool.Limits(), verifier: SignatureVerifier = SignatureVerifier(),
        clock: any WallClock = SystemClock(), headerWindow: UInt64? = nil
    ) throws {
        self.directory = directory
        self.miner = miner
        store = try ChainStore(directory: directory.path, network: .dev)
        var logger = Logger(label: "keel.test")
        logger.logLevel = .warning
        chain = try ChainState(
            store: store, clock: clock, verifier: verifier, mempoolLimits: mempoolLimits, logger: logger,
            headerWindow: headerWindow)
    }

    /// Closes the store.
    public func close() { chain.close() }

    /// The context for a child of `hash` (the tip by default).
    public func context(on hash: Hash256? = nil) -> ParentContext {
        chain.parentContext(of: hash ?? chain.tip.hash)!
    }

    /// Builds (without submitting) a valid block on `parent` with `transactions`.
    public func makeBlock(
        on parent: Hash256? = nil, transactions: [Transaction] = [], fees: Amount = .zero,
        payTo: AddressHash? = nil
    ) -> Block {
        BlockFactory.make(
            parent: context(on: parent), network: network, transactions: transactions,
            payTo: payTo ?? miner.addressHash, fees: fees)
    }

    /// Mines and submits `count` empty blocks on the tip; returns them.
    @discardableResult
    public func extend(_ count: Int, payTo: AddressHash? = nil) throws -> [Block] {
        var blocks = [Block]()
        for _ in 0..<count {
            let block = makeBlock(payTo: payTo)
            try chain.submit(block, origin: .miner)
            blocks.append(block)
        }
        return blocks
    }

    /// Mines `count` blocks on `parent` (a side branch), submitting each; returns them.
    @discardableResult
    public func branch(from parent: Hash256, count: Int) throws -> [Block] {
        var blocks = [Block]()
        var tip = parent
        for _ in 0..<count {
            // A different payee makes the branch's blocks differ from the main chain's.
            let block = BlockFactory.make(parent: context(on: tip), network: network, payTo: AddressHash(publicKey: tip.bytes))
            try chain.submit(block, origin: .peer)
            blocks.append(block)
            tip = block.hash
        }
        return blocks
    }

    /// Mature coinbase outputs of the miner key, oldest first.
    public func matureCoinbases() throws -> [(OutPoint, UTXOEntry)] {
        let height = chain.tip.height
        return try chain.unspent(of: miner.addressHash).filter {
            $0.1.isCoinbase && height + 1 >= $0.1.height + network.coinbaseMaturity
        }.sorted { $0.1.height < $1.1.height }
    }
}

extension TestChain {
    /// Mines `count` blocks on the tip; each block, once coinbases have matured, also carries a
    /// transaction spending the oldest mature coinbase into three outputs (one back to the
    /// miner), so the UTXO set changes in more ways than coinbases alone.
    @discardableResult
    public func extendWithActivity(_ count: Int, rng: inout SeededGenerator) throws -> [Block] {
        var blocks = [Block]()
        for _ in 0..<count {
            var txs = [Transaction]()
            var fees = Amount.zero
            let spent = Set(blocks.flatMap { $0.transactions.flatMap { $0.inputs.map(\.previous) } })
            if let coin = try matureCoinbases().first(where: { !spent.contains($0.0) }) {
                let total = coin.1.output.amount.units
                let fee: UInt64 = 1_000
                let a = UInt64.random(in: 1...(total / 2), using: &rng)
                let b = UInt64.random(in: 1...(total / 4), using: &rng)
                let tx = BlockFactory.spend(
                    [(coin.0, miner)],
                    to: [
                        TxOutput(amount: Amount(units: a), addressHash: AddressHash(bytes: rng.bytes(20))!),
                        TxOutput(amount: Amount(units: b), addressHash: AddressHash(bytes: rng.bytes(20))!),
                        TxOutput(amount: Amount(units: total - a - b - fee), addressHash: miner.addressHash),
                    ])
                txs.append(tx)
                fees = Amount(units: fee)
            }
            let block = makeBlock(transactions: txs, fees: fees)
            try chain.submit(block, origin: .miner)
            blocks.append(block)
        }
        return blocks
    }
}

extension TestChain {
    /// Mines `count` empty blocks whose timestamps run 100 ms apart and end at `end` (now by
    /// default): a chain other nodes accept without clock tricks, at a constant difficulty.
    public func premine(_ count: Int, endingAt end: UInt64 = SystemClock().nowMilliseconds()) throws {
        var timestamp = end - UInt64(count) * network.targetSpacing
        for _ in 0..<count {
            timestamp += network.targetSpacing
            let block = BlockFactory.make(parent: context(), network: network, payTo: miner.addressHash, timestamp: timestamp)
            try chain.submit(block, origin: .miner)
        }
    }
}

extension TestChain {
    /// `block` (one of this chain's, carrying a transaction) with that transaction's first
    /// signature broken and its merkle root and proof of work made good again, so that only
    /// the signature check catches it; and a child of it, built from the context the original
    /// block's child had.
    public func withBrokenSignature(_ block: Block) throws -> (broken: Block, child: Block) {
        var broken = block
        guard let index = broken.transactions.indices.last, index > 0 else {
            throw PollTimeout(what: "block \(block.hash) to carry a transaction to break")
        }
        var tx = broken.transactions[index]
        tx.inputs[0].signature[0] ^= 0xFF
        broken.transactions[index] = tx
        BlockFactory.fixMerkle(&broken)
        BlockFactory.grind(&broken)
        let original = context(on: block.hash)
        let child = BlockFactory.make(
            parent: ParentContext(
                hash: broken.hash, height: original.height, timestamp: original.timestamp, target: original.target,
                medianTimePast: original.medianTimePast, intervalStartTimestamp: original.intervalStartTimestamp,
                intervalStartHeight: original.intervalStartHeight),
            network: network, payTo: miner.addressHash)
        return (broken, child)
    }
}
