import KeelCore

/// Everything `keel-node` was told on its command line.
public struct NodeConfiguration: Sendable {
    /// The network.
    public var network: Network
    /// The data directory (absolute).
    public var dataDirectory: String
    /// Who mined coinbases pay; nil means the node's own key in `DATA_DIR/miner.key`.
    public var mineTo: Address?
    /// Mining threads (0: do not mine).
    public var threads: Int
    /// Rebuild chain state from stored blocks before starting.
    public var reindex: Bool

    /// Creates a configuration.
    public init(network: Network, dataDirectory: String, mineTo: Address? = nil, threads: Int = 1, reindex: Bool = false) {
        self.network = network
        self.dataDirectory = dataDirectory
        self.mineTo = mineTo
        self.threads = threads
        self.reindex = reindex
    }
}
