import KeelCore
import KeelStorage
import Logging
import Synchronization

/// The node's view of the chain: the header index, the active tip, the mempool and the
/// template cache, over a `ChainStore`.
///
/// Every change to the active chain is one synced `WriteBatch` (block, undo, UTXO set,
/// address index, height index, tx index, mempool removals, tip), so after a crash the store is
/// at the last committed tip and never between two. Thread-safe: one lock serialises changes;
/// miners, peers and the API call in from any thread.
public final class ChainState: Sendable {
    /// Where a block came from (a metrics and log label).
    public enum Origin: String, Sendable, CaseIterable {
        /// This node's miner.
        case miner
        /// Received from a peer (relayed, or downloaded during sync).
        case peer
        /// The API (external miner).
        case api
        /// Rebuilt by `--reindex`.
        case reindex
        /// Connected while switching to a better branch.
        case reorg
    }

    /// What happened to a submitted block.
    public struct SubmitResult: Sendable, Equatable {
        /// What became of it.
        public enum Status: String, Sendable {
            /// It is now on the active chain.
            case connected
            /// Stored on a side branch with no more work than the tip.
            case sideBranch = "side_branch"
            /// Already known.
            case duplicate
        }
        /// The block's hash.
        public let hash: Hash256
        /// The block's height.
        public let height: UInt64
        /// What became of it.
        public let status: Status
    }

    /// A block just committed to the active chain (for logs, metrics and benchmarks).
    public struct ConnectEvent: Sendable {
        /// The connected block's hash.
        public let hash: Hash256
        /// Its height on the active chain.
        public let height: UInt64
        /// Its header timestamp (ms).
        public let timestamp: UInt64
        /// Where it came from.
        public let origin: Origin
        /// Transactions in it, coinbase included.
        public let transactionCount: Int
        /// Validation and commit time.
        public let seconds: Double
        /// Of which: signature checks.
        public let signatureSeconds: Double
        /// Of which: the RocksDB write.
        public let writeSeconds: Double
    }

    /// The active tip.
    public struct Tip: Sendable, Equatable {
        /// The tip block's hash.
        public let hash: Hash256
        /// Its height: genesis is 0.
        public let height: UInt64
        /// Its timestamp (ms).
        public let timestamp: UInt64
        /// Cumulative work of the chain ending there.
        public let work: UInt256
    }

    /// Hooks for logs, metrics and benchmarks; each is called outside no lock it could block.
    public struct Observer: Sendable {
        /// A block was committed to the active chain.
        public var onConnect: (@Sendable (ConnectEvent) -> Void)?
        /// The chain switched branches, disconnecting `depth` blocks.
        public var onReorg: (@Sendable (_ depth: UInt64) -> Void)?
        /// A template was served from the cache (`cached`) or built, taking `seconds`.
        public var onTemplate: (@Sendable (_ cached: Bool, _ seconds: Double) -> Void)?
        /// A store read failed under a question that answers "unknown" rather than throwing
        /// (a peer's locator, a header lookup); already logged.
        public var onReadFailure: (@Sendable () -> Void)?

        /// Every hook optional: a test sets only those it watches.
        public init(
            onConnect: (@Sendable (ConnectEvent) -> Void)? = nil,
            onReorg: (@Sendable (_ depth: UInt64) -> Void)? = nil,
            onTemplate: (@Sendable (_ cached: Bool, _ seconds: Double) -> Void)? = nil,
            onReadFailure: (@Sendable () -> Void)? = nil
        ) {
            self.onConnect = onConnect
            self.onReorg = onReorg
            self.onTemplate = onTemplate
            self.onReadFailure = onReadFailure
        }
    }

    struct State: Sendable {
        var index: HeaderIndex
        /// Only ever the store's committed tip; each change is published for lock-free readers.
        var tip: HeaderIndex.Entry { didSet { published.set(tip) } }
        let published: Published<HeaderIndex.Entry>
        /// Each change of its size is published too (`mempoolSize`).
        var mempool: Mempool { didSet { publishedPool.set((mempool.count, mempool.totalBytes)) } }
        let publishedPool: Published<(count: Int, bytes: Int)>
        var generation: UInt64 = 0
        var template: (payTo: AddressHash, template: BlockTemplate)?
        /// Dead side branches below this height are pruned (`MetaKey.prunedHeight`).
        var prunedHeight: UInt64 = 0
    }

    /// The store under this state.
    public let store: ChainStore
    /// The network the store was created for: never changes while open.
    public let network: Network
    let clock: any WallClock
    let verifier: SignatureVerifier
    let logger: Logger
    let observer: Observer
    let state: Mutex<State>
    /// The tip, readable while a batch validates under `state`'s lock (the P2P layer reads it
    /// for every block it receives, and must not wait on validation).
    let published: Published<HeaderIndex.Entry>
    /// The mempool's size, readable while a batch validates (the API's status asks for it:
    /// under the lock, `GET /v1/status` waited for whole batches during a sync).
    let publishedPool = Published<(count: Int, bytes: Int)>((0, 0))
    let listeners = Mutex<[@Sendable ([Change]) -> Void]>([])

    /// Loads the chain from `store`, writing genesis into a new store, moving to the best known
    /// branch (a crash can stop a reorg half-way) and reloading the mempool (each transaction
    /// revalidated).
    /// `headerWindow` is how many heights below the tip keep their headers in memory (default:
    /// two retarget intervals, at least 256); older headers are read from the store.
    public init(
        store: ChainStore, clock: any WallClock = SystemClock(), verifier: SignatureVerifier = SignatureVerifier(),
        mempoolLimits: Mempool.Limits = Mempool.Limits(), logger: Logger = Logger(label: "keel.chain"),
        observer: Observer = Observer(), headerWindow: UInt64? = nil
    ) throws {
        self.store = store
        self.network = store.network
        self.clock = clock
        self.verifier = verifier
        self.logger = logger
        self.observer = observer

        var limits = HeaderIndex.Limits.standard(for: store.network)
        if let headerWindow {
            limits.window = headerWindow
            limits.capacity = max(Int(headerWindow) * 4, 64)
        }
        if try store.tip() == nil { try ChainState.writeGenesis(store: store, network: network) }
        guard let stored = try store.tip() else { throw ChainError(.inconsistent, "no tip after writing genesis") }
        let index = try HeaderIndex.load(store: store, limits: limits, tipHeight: stored.height)
        guard let tipEntry = try index.entry(stored.hash), tipEntry.height == stored.height else {
            throw ChainError(.inconsistent, "the stored tip \(stored.hash) at height \(stored.height) has no matching header")
        }
        guard try store.header(network.genesis.hash) != nil else {
            throw ChainError(.inconsistent, "the database's genesis block is not the \(network.name) network's genesis")
        }
        published = Published(tipEntry)
        state = Mutex(
            State(
                index: index, tip: tipEntry, published: published, mempool: Mempool(limits: mempoolLimits), publishedPool: publishedPool,
                prunedHeight: try store.prunedHeight()))
        try state.withLock { s in
            if s.index.entry(inMemory: tipEntry.hash) == nil { s.index.insert(tipEntry) }
            _ = try activateBestChain(&s, submitted: [:], origin: .reorg)
            try s.index.prune(tip: s.tip)
            try reloadMempool(&s)
        }
        try store.setCleanShutdown(false)
    }

    private static func writeGenesis(store: ChainStore, network: Network) throws {
        let genesis = network.genesis
        let hash = genesis.hash
        let record = HeaderRecord(header: genesis.header, cumulativeWork: genesis.header.target.work, status: .valid, sequence: 0)
        var batch = WriteBatch()
        batch.putHeader(record, hash: hash)
        batch.setHeaderSequence(1)
        batch.putBlock(genesis, hash: hash)
        ChainState.addConnection(to: &batch, block: genesis, hash: hash, txids: genesis.transactions.map(\.txid), spent: [[]])
        try store.write(batch, sync: true)
    }

    /// Marks the store cleanly closed and closes it.
    public func close() {
        do {
            try store.setCleanShutdown(true)
        } catch {
            // The next start then checks the stored chain in full: slower, never wrong.
            logger.warning("could not mark the store cleanly closed; the next start checks it in full", metadata: ["error": "\(error)"])
        }
        store.close()
    }

    // MARK: - Queries

    /// The active tip, as last committed (it does not wait for a batch being validated).
    public var tip: Tip {
        let entry = published.value
        return Tip(hash: entry.hash, height: entry.height, timestamp: entry.header.timestamp, work: entry.work)
    }

    /// Changes whenever the tip or the mempool does (miners poll it to spot stale templates).
    public var templateGeneration: UInt64 { state.withLock { $0.generation } }

    /// The balance of `owner` and its number of unspent outputs (one address-index prefix scan).
    public func balance(of owner: AddressHash) throws -> (amount: Amount, count: Int) { try store.balance(of: owner) }

    /// `owner`'s unspent outputs in outpoint order, paged.
    public func unspent(of owner: AddressHash, after: OutPoint? = nil, limit: Int = .max) throws -> [(OutPoint, UTXOEntry)] {
        try store.unspent(of: owner, after: after, limit: limit)
    }

    /// The hash over the whole UTXO set in key order.
    public func utxoSetHash() throws -> Hash256 { try store.utxoSetHash().hash }

    /// The active-chain block at `height`.
    public func block(atHeight height: UInt64) throws -> Block? {
        guard let hash = try store.hash(atHeight: height) else { return nil }
        return try store.block(hash)
    }

    /// What the header rules need to build or check a child of `hash` (nil if unknown).
    public func parentContext(of hash: Hash256) -> ParentContext? {
        state.withLock { s in readOrNil("the context of \(hash)") { try s.index.entry(hash).map { try s.index.context(of: $0, network: network) } } }
    }

    /// Whether `hash` is known and valid, known and invalid, or unknown (nil).
    public func isValid(_ hash: Hash256) -> Bool? { state.withLock { s in readOrNil("block \(hash)") { try s.index.entry(hash)?.isValid } } }

    /// Headers held in memory (the window near the tips), and about how many bytes they take.
    public var headerWindow: (count: Int, bytes: Int) { state.withLock { ($0.index.count, $0.index.estimatedBytes) } }
}
