import KeelChain
import KeelCore
import KeelMining
import KeelStorage
import Logging

/// A node's parts, opened and wired: store (locked), chain state (checked or reindexed) and
/// miner.
public final class Node: Sendable {
    /// How the node was configured.
    public let configuration: NodeConfiguration
    /// The database.
    public let store: ChainStore
    /// Chain state.
    public let chain: ChainState
    /// The miner.
    public let miner: Miner
    /// Who mined coinbases pay.
    public let coinbaseAddress: Address

    /// Opens the data directory (taking its lock), runs the start-up check (or `--reindex`),
    /// and loads chain state. Throws an error whose description tells the operator what to do.
    public init(configuration: NodeConfiguration, logger: Logger) throws {
        self.configuration = configuration
        let store = try ChainStore(directory: configuration.dataDirectory, network: configuration.network)
        do {
            let chain: ChainState
            if try store.tip() != nil, try !store.wasCleanlyShutDown() {
                logger.notice("the previous run did not shut down cleanly; checking the stored chain before resuming from the last committed block")
            }
            if configuration.reindex {
                (chain, _) = try Reindexer.run(store: store, logger: logger)
            } else {
                _ = try StartupCheck().run(store: store)
                chain = try ChainState(store: store, logger: logger)
            }
            let payTo: AddressHash
            if let address = configuration.mineTo {
                payTo = address.hash
            } else {
                payTo = try MinerKeyFile.loadOrCreate(directory: configuration.dataDirectory).addressHash
            }
            self.store = store
            self.chain = chain
            self.coinbaseAddress = Address(hash: payTo, network: configuration.network)
            self.miner = Miner(chain: chain, logger: logger)
        } catch {
            store.close()
            throw error
        }
    }

    /// Stops mining and closes the store (marking a clean shutdown).
    public func shutdown() {
        miner.stop()
        chain.close()
    }
}
