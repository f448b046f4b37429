import KeelAPIModels
import KeelChain
import KeelCore
import KeelStorage

/// What the API needs from the node. Implemented by KeelNode over the chain, miner and metrics,
/// so this target depends on no miner or executable.
public protocol NodeBackend: Sendable {
    /// The node's network: addresses are parsed and shown for it.
    var network: Network { get }
    /// The node's version string.
    var version: String { get }
    /// The chain state; nil while the node starts or reindexes.
    var chain: ChainState? { get }
    /// `starting`, `reindexing`, `running` or `stopping`.
    var phase: String { get }
    /// Whether the store is open (liveness).
    var isStoreOpen: Bool { get }
    /// Who templates pay when the caller names no address.
    var defaultPayTo: AddressHash { get }
    /// Connected peers (0 until P2P).
    var peerCount: Int { get }
    /// Why the node is not ready; empty when it is.
    func readinessFailures() -> [String]
    /// The miner's state.
    func miningStatus() -> API.Mining
    /// Starts (or re-threads) the miner; returns once it runs.
    func startMining(threads: Int) throws -> API.Mining
    /// Stops the miner; returns once every worker has exited, with the seconds it took.
    func stopMining() -> (API.Mining, Double)
    /// The Prometheus exposition.
    func metricsText() -> [UInt8]

    /// Connected peers.
    func peers() throws -> [API.Peer]
    /// The P2P health loop's view.
    func networkHealth() throws -> API.NetworkHealth
    /// The address book as a bundle (with our own listen address).
    func exportPeers() throws -> API.PeerBundle
    /// Adds a bundle's addresses to the address book.
    func importPeers(_ bundle: API.PeerBundle) throws -> API.PeerImport
    /// Dials `address` now; whether the handshake completed (within the connect timeout).
    func connectPeer(_ address: String) async throws -> Bool
    /// Proves discovery works, step by step.
    func verifyNetwork() async throws -> [API.VerifyStep]
    /// Closes connections to `address`; returns how many.
    func disconnectPeer(_ address: String) throws -> Int
    /// Writes an online backup of the store into `directory` (new; its parent must exist).
    func backup(to directory: String) throws -> ChainStore.Backup
}

extension NodeBackend {
    private var unavailable: APIError {
        APIError(.serviceUnavailable, "p2p_unavailable", "the P2P network is not running (the node is \(phase))")
    }
    /// Default: no P2P.
    public func peers() throws -> [API.Peer] { throw unavailable }
    /// Default: no P2P.
    public func networkHealth() throws -> API.NetworkHealth { throw unavailable }
    /// Default: no P2P.
    public func exportPeers() throws -> API.PeerBundle { throw unavailable }
    /// Default: no P2P.
    public func importPeers(_ bundle: API.PeerBundle) throws -> API.PeerImport { throw unavailable }
    /// Default: no P2P.
    public func connectPeer(_ address: String) async throws -> Bool { throw unavailable }
    /// Default: no P2P.
    public func verifyNetwork() async throws -> [API.VerifyStep] { throw unavailable }
    /// Default: no P2P.
    public func disconnectPeer(_ address: String) throws -> Int { throw unavailable }
}
