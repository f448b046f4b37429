import KeelCore
import KeelP2P
import KeelStorage

/// Everything `keel-node` was told on its command line.
public struct NodeConfiguration: Sendable {
    /// The network; a data directory holds one, and the node refuses to open another's.
    public var network: Network
    /// The data directory (absolute).
    public var dataDirectory: String
    /// Who mined coinbases pay; nil means the node's own key in `DATA_DIR/miner.key`.
    public var mineTo: Address?
    /// Mining threads at start (0: do not mine).
    public var threads: Int
    /// Rebuild chain state from stored blocks before serving the chain.
    public var reindex: Bool
    /// Open a damaged store by keeping its intact part (`--accept-data-loss`): a damaged log is
    /// cut back to its last intact write, a damaged MANIFEST or CURRENT is rebuilt by RocksDB's
    /// repair. Blocks lost that way are synced again from peers.
    public var acceptDataLoss = false
    /// API host (127.0.0.1 unless the operator says otherwise).
    public var apiHost: String
    /// API port (0 picks a free one, printed at start).
    public var apiPort: Int
    /// Seconds before the RSS baseline is taken.
    public var rssWarmup: Double
    /// A tip older than this (seconds) makes `/ready` fail.
    public var maxTipAge: Double
    /// The P2P layer's settings (`--p2p-addr`, `--connect`, `--seed`, ...).
    public var p2p: P2PConfiguration
    /// Host names the API answers besides IP literals and `localhost` (`--api-allow-host`).
    public var apiAllowHosts: [String] = []
    /// A metrics-only listener (`--metrics-addr`), host and port; nil: `/metrics` on the API only.
    public var metricsAddress: (host: String, port: Int)?
    /// RocksDB's block cache capacity in bytes (`--db-cache-mib`); nil: the network's default.
    public var blockCacheBytes: Int?

    /// The memory RocksDB may hold: the network's setting, with the block cache the operator chose.
    public var storageMemory: StorageMemory {
        var memory = StorageMemory.for(network)
        if let blockCacheBytes { memory.blockCacheBytes = blockCacheBytes }
        return memory
    }

    /// Defaults: one miner thread, the API on 127.0.0.1:9334, a 600 s warm-up before RSS growth is judged.
    public init(
        network: Network, dataDirectory: String, mineTo: Address? = nil, threads: Int = 1, reindex: Bool = false,
        apiHost: String = "127.0.0.1", apiPort: Int = 9334, rssWarmup: Double = 600, maxTipAge: Double = 3600,
        p2p: P2PConfiguration = P2PConfiguration()
    ) {
        self.network = network
        self.dataDirectory = dataDirectory
        self.mineTo = mineTo
        self.threads = threads
        self.reindex = reindex
        self.apiHost = apiHost
        self.apiPort = apiPort
        self.rssWarmup = rssWarmup
        self.maxTipAge = maxTipAge
        self.p2p = p2p
    }
}
