import KeelCore
import Logging
import ServiceLifecycle

/// Runs a node until graceful shutdown (SIGTERM/SIGINT through the service group), then stops
/// the miner (waiting for its workers) and closes the store.
public struct NodeService: Service {
    private let node: Node
    private let logger: Logger

    /// A service for `node`.
    public init(node: Node, logger: Logger) {
        self.node = node
        self.logger = logger
    }

    /// Starts mining if configured, waits for shutdown, then stops everything.
    public func run() async throws {
        if node.configuration.threads > 0 {
            node.miner.start(threads: node.configuration.threads, payTo: node.coinbaseAddress.hash)
        }
        // Returns on graceful shutdown; throws on cancellation. Either way: clean up.
        try? await gracefulShutdown()
        logger.info("shutting down")
        node.shutdown()
        logger.info("stopped cleanly", metadata: ["height": "\(node.chain.tip.height)"])
    }
}
