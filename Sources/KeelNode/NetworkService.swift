import KeelCore
import KeelP2P
import Logging
import ServiceLifecycle

/// Runs the node's P2P layer once its chain is loaded (after a reindex, if one runs first).
public struct NetworkService: Service {
    private let node: Node
    private let logger: Logger
    private let onListening: @Sendable (String) -> Void

    /// A service for `node`; `onListening` receives the bound P2P address.
    public init(node: Node, logger: Logger, onListening: @escaping @Sendable (String) -> Void) {
        self.node = node
        self.logger = logger
        self.onListening = onListening
    }

    /// Waits for the chain, then runs P2P until shutdown.
    public func run() async throws {
        while node.chain == nil {
            if isShuttingDown || Task.isCancelled { return }
            await Task.pause(for: .milliseconds(100))
        }
        guard let chain = node.chain else { return }
        let network = try P2PNetwork(
            configuration: node.configuration.p2p, chain: chain, metrics: node.p2pMetrics,
            logger: logger, onListening: onListening)
        node.p2p.withLock { $0 = network }
        node.telemetry.peerHeight.set { network.bestPeerHeight() }
        try await network.run()
    }

    private var isShuttingDown: Bool { Task.isShuttingDownGracefully }
}
