import Foundation
import KeelChain
import KeelCore
import KeelStorage
import KeelTesting
import Logging
import Synchronization

/// Block validation and commit rate, and balance latency from the address index. Both run the
/// dev network's consensus (easy targets) with main's storage memory (`StorageMemory.standard`):
/// dev's small memtables exist for soaks, and would measure many small level-0 files instead of
/// what a long-running node reads.
enum ChainBench {
    /// Blocks of 1,000 one-in one-out transactions, each spending an output of the block before:
    /// built on one chain, then submitted to a fresh one, first one at a time, then as one group
    /// (as a sync hands them over). Reference: the parallel signature check of the same blocks.
    static func blockCommit() throws {
        // Grouped submits are measured three times (median): one group of 12 is half a second,
        // and one run moved by 10% from the next.
        let width = 1_000, blocks = 12, rounds = 3
        let key = SigningKey()
        let builderDir = TemporaryDirectory("bench-commit-build")
        let builder = try ChainState(store: try ChainStore(directory: builderDir.path, network: .dev, memory: .standard), logger: quietLogger)
        let helper = Helper(chain: builder, key: key)
        let each = Network.dev.initialSubsidy.units / UInt64(width)
        let fan = try helper.fanOut(width, each: each)
        var previous = (0..<width).map { OutPoint(txid: fan.txid, index: UInt32($0)) }
        var value = each
        var built = [Block]()
        for _ in 0..<((1 + rounds) * blocks) {
            value -= 100
            let txs = previous.map { BlockFactory.spend([($0, key)], to: [TxOutput(amount: Amount(units: value), addressHash: key.addressHash)]) }
            let block = helper.block(txs, fees: Amount(units: 100 * UInt64(width)))
            try builder.submit(block, origin: .miner)
            built.append(block)
            previous = txs.map { OutPoint(txid: $0.txid, index: 0) }
        }
        var prefix = [Block]()
        for height in 1...(builder.tip.height - UInt64((1 + rounds) * blocks)) {
            guard let hash = try builder.store.hash(atHeight: height), let block = try builder.store.block(hash) else {
                preconditionFailure("the builder lost block \(height)")
            }
            prefix.append(block)
        }
        builder.close()

        let events = EventLog()
        let dir = TemporaryDirectory("bench-commit")
        let chain = try ChainState(
            store: try ChainStore(directory: dir.path, network: .dev, memory: .standard), logger: quietLogger,
            observer: .init(onConnect: { events.add($0) }))
        for block in prefix { try chain.submit(block, origin: .peer) }
        events.clear()
        var single = [Double]()
        for block in built.prefix(blocks) { single.append(try Measure.seconds { try chain.submit(block, origin: .peer) }) }
        let connects = events.all
        var groups = [Double]()
        for round in 1...rounds {
            let group = Array(built[(round * blocks)..<((round + 1) * blocks)])
            groups.append(
                try Measure.seconds {
                    let results = chain.submit(group, origin: .peer)
                    for result in results { _ = try result.get() }
                })
        }
        chain.close()
        // The reference: each grouped block's signatures checked alone, in parallel, as validation does.
        let verifier = SignatureVerifier()
        let reference = built.suffix(rounds * blocks).map { block in
            let jobs = block.transactions.dropFirst().flatMap { ConsensusRules.signatureJobs(for: $0) }
            return Measure.seconds { precondition(verifier.verify(jobs) == nil) }
        }
        let total = Measure.median(single)
        let signatures = Measure.median(connects.map(\.signatureSeconds))
        let write = Measure.median(connects.map(\.writeSeconds))
        let grouped = Measure.median(groups) / Double(blocks)
        let parallel = Measure.median(reference)
        print("## Blocks of 1,000 transactions validated and committed")
        print(
            "one at a time (median of \(blocks)): \(Measure.format(1 / total, 2)) blocks/s, \(Measure.format(total * 1000)) ms per block; "
                + "in signature checks \(Measure.format(signatures / total * 100))%, in the synced RocksDB write \(Measure.format(write / total * 100))%, "
                + "rest (decode, UTXO reads, merkle, batch build) \(Measure.format((1 - (signatures + write) / total) * 100))%")
        print(
            "\(blocks) submitted together, as a sync hands them over (each block's signatures checked beside the next one's inputs, its write beside the next one's checks; median of \(rounds) groups): \(Measure.format(grouped * 1000)) ms per block (\(Int(Double(width) / grouped)) tx/s); "
                + "reference: the parallel signature check of the same block alone, median \(Measure.format(parallel * 1000)) ms; "
                + "ratio \(Measure.format(grouped / parallel, 2)) (target <= 1.5); the groups: \(groups.map { Measure.format($0 / Double(blocks) * 1000) }.joined(separator: ", ")) ms per block"
        )
        print("")
    }

    /// Balance of an address holding 10,000 UTXOs, among 40,000 others.
    static func balance() throws {
        let dir = TemporaryDirectory("bench-balance")
        let store = try ChainStore(directory: dir.path, network: .dev, memory: .standard)
        let chain = try ChainState(store: store, logger: quietLogger)
        let key = SigningKey()
        let holder = SigningKey().addressHash
        let helper = Helper(chain: chain, key: key)
        try helper.extend(15)
        let coins = try chain.unspent(of: key.addressHash).filter(\.1.isCoinbase).sorted { $0.1.height < $1.1.height }.prefix(5)
        for (n, coin) in coins.enumerated() {
            let payee = n == 0 ? holder : nil
            let outputs = (0..<10_000).map { _ in
                TxOutput(amount: Amount(units: 1_000), addressHash: payee ?? AddressHash(bytes: (0..<20).map { _ in UInt8.random(in: 0...255) })!)
            }
            let change = TxOutput(amount: Amount(units: coin.1.output.amount.units - 10_000_000), addressHash: key.addressHash)
            try chain.submit(helper.block([BlockFactory.spend([(coin.0, key)], to: outputs + [change])]), origin: .miner)
        }
        var indexed = [Double](), scanned = [Double]()
        var result = Amount.zero
        for round in 0..<101 {
            indexed.append(try Measure.seconds { result = try chain.balance(of: holder).amount })
            if round % 10 == 0 {
                // The reference: what a balance costs without the index (a scan of the UTXO set).
                var units: UInt64 = 0
                scanned.append(
                    try Measure.seconds {
                        try store.scan(.utxo) { _, payload in
                            let entry = try UTXOEntry(decoding: payload)
                            if entry.output.addressHash == holder { units += entry.output.amount.units }
                            return true
                        }
                    })
                precondition(units == result.units)
            }
        }
        precondition(result.units == 10_000_000)
        print("## Balance of an address with 10,000 UTXOs (UTXO set of 50,000)")
        print(
            "address index: median \(Measure.format(Measure.median(indexed) * 1000, 2)) ms, p99 \(Measure.format(Measure.percentile(indexed, 0.99) * 1000, 2)) ms (target <= 5 ms)"
        )
        print(
            "full UTXO scan (reference): median \(Measure.format(Measure.median(scanned) * 1000, 2)) ms; index is \(Measure.format(Measure.median(scanned) / Measure.median(indexed)))x faster"
        )
        print("")
        chain.close()
    }

    struct Helper {
        let chain: ChainState
        let key: SigningKey
        func block(_ txs: [Transaction], fees: Amount = .zero) -> Block {
            BlockFactory.make(
                parent: chain.parentContext(of: chain.tip.hash)!, network: .dev, transactions: txs,
                payTo: key.addressHash, fees: fees)
        }
        func extend(_ count: Int) throws {
            for _ in 0..<count { try chain.submit(block([]), origin: .miner) }
        }

        /// Mines 11 blocks, then a block with one transaction splitting the first coinbase into
        /// `count` outputs of `each` units to `payee` (the helper's key by default); returns it.
        func fanOut(_ count: Int, each: UInt64, to payee: AddressHash? = nil) throws -> Transaction {
            try extend(11)
            let coin = try chain.unspent(of: key.addressHash).first { $0.1.isCoinbase && $0.1.height == 1 }!
            let fan = BlockFactory.spend(
                [(coin.0, key)],
                to: (0..<count).map { _ in
                    TxOutput(amount: Amount(units: each), addressHash: payee ?? key.addressHash)
                })
            try chain.submit(block([fan]), origin: .miner)
            return fan
        }
    }
}

final class EventLog: Sendable {
    private let events = Mutex<[ChainState.ConnectEvent]>([])
    func add(_ event: ChainState.ConnectEvent) { events.withLock { $0.append(event) } }
    func clear() { events.withLock { $0.removeAll() } }
    var all: [ChainState.ConnectEvent] { events.withLock { $0 } }
}

/// Benchmarks measure, they do not narrate each block.
let quietLogger: Logger = {
    var logger = Logger(label: "keel-bench")
    logger.logLevel = .warning
    return logger
}()
