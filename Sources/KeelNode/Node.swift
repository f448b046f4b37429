import KeelAPI
import KeelChain
import KeelCore
import KeelMetrics
import KeelMining
import KeelP2P
import KeelStorage
import Logging
import Synchronization

/// A node's parts, opened and wired: store (locked), chain state (checked, or reindexed once
/// the API is up), miner, metrics and the API token.
public final class Node: Sendable {
    /// The build's version (`KeelBuild.version`).
    public static let version = KeelBuild.version

    struct Loaded: Sendable {
        let chain: ChainState
        let miner: Miner
    }

    /// How the node was configured.
    public let configuration: NodeConfiguration
    /// The database.
    public let store: ChainStore
    /// Every metric the node exposes.
    public let metrics: NodeMetrics
    /// Who mined coinbases pay.
    public let coinbaseAddress: Address
    /// The API bearer token (secret: never log it).
    let token: String
    let logger: Logger
    let loaded = Mutex<Loaded?>(nil)
    let phaseName = Mutex("starting")
    let telemetry: NodeTelemetry
    /// The P2P layer's metrics, on the node's registry from start-up.
    let p2pMetrics: P2PMetrics
    /// The P2P layer, once the chain is loaded and it runs.
    let p2p = Mutex<P2PNetwork?>(nil)
    /// The write watch's state (`watchStorage`).
    let storageWatch: Mutex<StorageWatch>
    /// Mining threads stopped because writes paused, restarted when they work again.
    let pausedMiningThreads = Mutex(0)
    /// Dropped damaged records already logged, by column family.
    let droppedLogged = Mutex<[ColumnFamily: Int]>([:])

    /// Opens the data directory (taking its lock), reads or creates the miner key and the API
    /// token, and unless `--reindex` runs the start-up check and loads chain state. Throws an
    /// error whose description tells the operator what to do.
    public init(configuration: NodeConfiguration, logger: Logger, commit: String = KeelBuild.commit) throws {
        self.configuration = configuration
        self.logger = logger
        storageWatch = Mutex(StorageWatch(floor: configuration.storageMemory.freeSpaceFloor))
        try Node.checkFreeSpace(configuration.dataDirectory, floor: configuration.storageMemory.freeSpaceFloor)
        let store = try ChainStore(
            directory: configuration.dataDirectory, network: configuration.network, memory: configuration.storageMemory,
            recovery: configuration.acceptDataLoss ? .rollBackToIntactPrefix : .strict)
        do {
            metrics = NodeMetrics(
                routes: APIRouter.routes + [APIRouter.unmatchedRoute], columnFamilies: ColumnFamily.allCases.map(\.rawValue),
                version: Node.version, commit: commit, rssWarmup: configuration.rssWarmup)
            telemetry = NodeTelemetry(metrics: metrics)
            let writeSeconds = metrics.storageWriteSeconds
            store.writeTimer.report { seconds, sync in writeSeconds[sync ? "true" : "false"]?.record(seconds) }
            p2pMetrics = P2PMetrics(registry: metrics.registry)
            token = try SecretFile.apiToken(directory: configuration.dataDirectory)
            let payTo = try configuration.mineTo?.hash ?? SecretFile.minerKey(directory: configuration.dataDirectory).addressHash
            coinbaseAddress = Address(hash: payTo, network: configuration.network)
            self.store = store
            if configuration.acceptDataLoss {
                // The clean-shutdown mark of a rolled-back store says nothing about how the last
                // run ended: what cost the lost writes was damage, not a crash.
                let height = try store.tip()?.height ?? 0
                logger.notice(
                    "opened with --accept-data-loss: the store keeps its intact part; later blocks are synced again from peers",
                    metadata: ["height": "\(height)"])
            } else if try store.tip() != nil, try !store.wasCleanlyShutDown() {
                logger.notice("the previous run did not shut down cleanly; checking the stored chain before resuming from the last committed block")
            }
            let resumeReindex = try !configuration.reindex && store.reindexInterrupted()
            if resumeReindex {
                logger.notice("a reindex was interrupted (the node stopped during it); resuming it before the chain is served")
            }
            if !configuration.reindex && !resumeReindex {
                _ = try StartupCheck().run(store: store)
                install(try ChainState(store: store, verifier: telemetry.verifier, logger: logger, observer: telemetry.observer))
            }
        } catch {
            store.close()
            throw error
        }
    }

    private func install(_ chain: ChainState) {
        let miner = Miner(chain: chain, logger: logger)
        loaded.withLock { $0 = Loaded(chain: chain, miner: miner) }
        phaseName.withLock { $0 = "running" }
    }

    /// Rebuilds chain state from the stored blocks (`--reindex`), while the API answers 503.
    func reindex() throws {
        phaseName.withLock { $0 = "reindexing" }
        let (chain, report) = try Reindexer.run(store: store, verifier: telemetry.verifier, logger: logger, observer: telemetry.observer)
        logger.notice("reindexed", metadata: ["height": "\(report.height)", "dropped": "\(report.blocksDropped)"])
        install(chain)
    }

    /// Stops mining and closes the store (marking a clean shutdown).
    public func shutdown() {
        phaseName.withLock { $0 = "stopping" }
        _ = stopMining()
        if let chain = loaded.withLock({ $0?.chain }) { chain.close() } else { store.close() }
    }
}
