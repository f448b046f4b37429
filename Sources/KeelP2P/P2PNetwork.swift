import KeelChain
import KeelCore
import KeelStorage
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The P2P layer as a service: it listens, dials seeds and known addresses with a timeout and
/// fallback, runs a session per connection (handshake, sync, relay, address exchange, scoring),
/// and keeps outbound peers at the target from a health loop.
///
/// Every connection is one task group (reader, writer, timer) under `run()`, so shutdown
/// closes them all before `run()` returns. A peer's mistakes end that peer's session only.
public final class P2PNetwork: Service, Sendable {
    /// How it listens, dials and defends itself.
    public let configuration: P2PConfiguration
    /// Which learned addresses may be dialled (loopback only on dev, unless allowed).
    public let dialPolicy: DialPolicy
    let chain: ChainState
    let store: ChainStore
    let metrics: P2PMetrics
    let logger: Logger
    let clock: any WallClock
    let group: any EventLoopGroup
    /// Per run, to recognise a connection to ourselves.
    let nonce: UInt64
    let state: Mutex<State>
    /// Download queues, requests in flight, stalls. Never locked together with `state`.
    let downloader = Mutex(BlockDownloader())
    /// Requested blocks that overtook their parent. Never locked together with another lock.
    let orphans = Mutex(OrphanPool())
    /// Blocks waiting for the importer. Never locked together with another lock.
    let imports = Mutex(BlockImportQueue())
    /// Wakes the importer; one pending wake-up is enough, whatever was queued meanwhile.
    let importSignals: AsyncStream<Void>
    let importSink: AsyncStream<Void>.Continuation
    /// Wakes `progressLoop` after a batch is imported; one pending wake-up covers any number.
    let progressSignals: AsyncStream<Void>
    let progressSink: AsyncStream<Void>.Continuation
    let changes: AsyncStream<[ChainState.Change]>
    let changeSink: AsyncStream<[ChainState.Change]>.Continuation
    let jobs: AsyncStream<@Sendable () async -> Void>
    let jobSink: AsyncStream<@Sendable () async -> Void>.Continuation
    let onListening: @Sendable (String) -> Void
    /// Where peer messages are handled: validating and storing a block blocks on RocksDB, which
    /// must not starve Swift's cooperative pool (the API runs there too).
    let workers = NIOThreadPool(numberOfThreads: 2)
    /// The importer's own thread. On the frame workers, back-to-back import batches held one
    /// worker and, through the chain's lock, starved the other: a pong waited past the ping
    /// timeout and an honest peer was dropped mid-sync.
    let importThread = NIOThreadPool(numberOfThreads: 1)

    struct SeedStatus: Sendable {
        var reachable: Bool?
        var latency: Double?
        var lastAttempt: UInt64?
        var lastError: String?
    }

    struct State: Sendable {
        var peers: [UInt64: Peer] = [:]
        var nextID: UInt64 = 1
        var book: AddressBook
        var lastAttempt: [String: UInt64] = [:]
        var dialing: Set<String> = []
        /// Established outbound sessions by the remote node's handshake nonce, so a node is
        /// never dialled twice (a manual connect racing the dialler, or two addresses for one node).
        var outboundNodes: [UInt64: UInt64] = [:]
        /// Established sessions with each node by its handshake nonce (either direction), in the
        /// order they were established: the first syncs headers, the rest are spares (`isSpare`).
        var nodeSessions: [UInt64: [UInt64]] = [:]
        /// Addresses that led to a node we were already connected to, with that session's peer
        /// id: not dialled again while the session lasts (else the dialler would loop on them).
        var aliases: [String: UInt64] = [:]
        var ownAddresses: Set<String> = []
        var seenTransactions = SeenCache(capacity: 50_000)
        var seeds: [String: SeedStatus] = [:]
        /// Configured addresses in the order given (`--connect` first), for dialling order.
        var priority: [String: Int] = [:]
        var listenAddress: String?
        var retryDelay: Double = 1
        var wake = false
        var reachChecks: [UInt64: ReachCheck] = [:]
        /// Inbound sessions counted against the slots, in all and by host (an evicted peer stops
        /// counting when it is evicted, not when its session ends).
        var inboundCounted: Set<UInt64> = []
        var inboundByHost: [String: Int] = [:]
        /// Dial-backs running for peers, with their bounds.
        var dialBacks = DialBacks()
        /// Scores of hosts that left with points lost, for the ban period.
        var hostScores = HostScores()
        var server: (any Channel)?
        var stopping = false
        var lastSeedWarning: UInt64 = 0
        /// When headers were last asked for again because a sync had stalled (monotonic ms).
        var lastSyncResume: UInt64 = 0
    }

    /// A network over `chain`, persisting its address book in `chain.store`. `onListening`
    /// receives the bound `host:port` (the port differs from the configured one when it is 0).
    public init(
        configuration: P2PConfiguration, chain: ChainState, metrics: P2PMetrics, logger: Logger,
        clock: any WallClock = SystemClock(), group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onListening: @escaping @Sendable (String) -> Void = { _ in }
    ) throws {
        self.configuration = configuration
        var policy = DialPolicy(network: chain.network, allowRemote: configuration.allowRemotePeers)
        policy.testPrefix = configuration.testDialPrefix
        // The non-public networks the operator put this node on.
        for address in configuration.connect + configuration.seeds {
            if let host = P2PConfiguration.parse(address)?.host { policy.localClasses.insert(DialPolicy.classify(host)) }
        }
        if let listen = configuration.listenHost { policy.localClasses.insert(DialPolicy.classify(listen)) }
        policy.localClasses.subtract([.routable, .unroutable])
        dialPolicy = policy
        self.chain = chain
        self.store = chain.store
        self.metrics = metrics
        self.logger = logger
        self.clock = clock
        self.group = group
        self.onListening = onListening
        nonce = UInt64.random(in: 1...UInt64.max)
        let now = clock.nowMilliseconds()
        let stored = try chain.store.peerRecords()
        var book = AddressBook(peers: stored.peers, bans: stored.bans, now: now)
        var seeds = [String: SeedStatus]()
        var priority = [String: Int]()
        var batch = WriteBatch()
        // A stored book over today's bounds (an older node's, a larger capacity's) is trimmed
        // for good, not reloaded in full at every start.
        let trimmed = book.takeDeletions()
        for address in trimmed { batch.deletePeer(address: address) }
        if !trimmed.isEmpty { logger.notice("address book trimmed to its bounds", metadata: ["dropped": "\(trimmed.count)"]) }
        for (list, source) in [(configuration.connect, PeerRecord.Source.manual), (configuration.seeds, .seed)] {
            for address in list {
                guard let (host, port) = P2PConfiguration.parse(address) else { continue }
                if let record = book.add(host: host, port: port, source: source, seen: now) { batch.putPeer(record) }
                let key = PeerRecord.format(host: host, port: port)
                seeds[key] = SeedStatus()
                if priority[key] == nil { priority[key] = priority.count }
            }
        }
        try chain.store.write(batch, sync: false)
        state = Mutex(State(book: book, seeds: seeds, priority: priority))
        (changes, changeSink) = AsyncStream.makeStream(of: [ChainState.Change].self)
        (jobs, jobSink) = AsyncStream.makeStream(of: (@Sendable () async -> Void).self)
        (importSignals, importSink) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (progressSignals, progressSink) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        metrics.seeds.set(to: Double(seeds.count))
        metrics.addressBookSize.set(to: Double(book.count))
        metrics.bannedHosts.set(to: Double(book.bans.count))
    }

    /// Runs until graceful shutdown or cancellation, then closes every connection.
    public func run() async throws {
        let sink = changeSink
        chain.addListener { changes in sink.yield(changes) }
        workers.start()
        importThread.start()
        defer {
            workers.shutdownGracefully { _ in }
            importThread.shutdownGracefully { _ in }
        }
        let server = try await bind()
        await withDiscardingTaskGroup { group in
            if let server {
                group.addTask { await self.acceptLoop(server) }
            }
            group.addTask { await self.relayLoop() }
            group.addTask { await self.outboundLoop() }
            group.addTask { await self.healthLoop() }
            group.addTask { await self.downloadLoop() }
            group.addTask { await self.importLoop() }
            group.addTask { await self.progressLoop() }
            group.addTask {
                await withDiscardingTaskGroup { jobGroup in
                    for await job in self.jobs { jobGroup.addTask { await job() } }
                }
            }
            do {
                try await gracefulShutdown()
            } catch {
                // Cancelled rather than asked to shut down: the service is ending either way.
            }
            self.stop()
            group.cancelAll()
        }
        logger.info("p2p stopped")
    }

    /// Closes the listener and every connection.
    func stop() {
        let (server, peers) = state.withLock { s -> ((any Channel)?, [Peer]) in
            s.stopping = true
            return (s.server, Array(s.peers.values))
        }
        server?.close(promise: nil)
        for peer in peers { peer.close("shutdown") }
        changeSink.finish()
        jobSink.finish()
        importSink.finish()
        progressSink.finish()
    }

    /// Runs `job` in the service's task group (dial-backs, probes): structured, so shutdown
    /// waits for it.
    func spawn(_ job: @escaping @Sendable () async -> Void) { jobSink.yield(job) }

    /// Our version message.
    func versionInfo() -> VersionInfo {
        let port = state.withLock { s in s.listenAddress.flatMap(P2PConfiguration.parse)?.port } ?? 0
        return VersionInfo(
            network: chain.network.name, genesis: chain.network.genesis.hash, nonce: nonce, listenPort: port,
            bestHeight: chain.tip.height, userAgent: "keel-node/0.1.0", timestamp: clock.nowMilliseconds())
    }

    /// Milliseconds on the monotonic clock (timeouts, latencies).
    static func monotonicMilliseconds() -> UInt64 { MonotonicTime.now() / 1_000_000 }

    /// Wraps a connected channel: frames in, frames out, with back-pressure.
    func makeAsyncChannel(_ channel: any Channel) -> EventLoopFuture<NIOAsyncChannel<Frame, Frame>> {
        let magic = chain.network.magic
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(FrameHandler(magic: magic))
            return try NIOAsyncChannel<Frame, Frame>(
                wrappingChannelSynchronously: channel,
                configuration: .init(backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8)))
        }
    }

    private func bind() async throws -> NIOAsyncChannel<NIOAsyncChannel<Frame, Frame>, Never>? {
        guard let host = configuration.listenHost else { return nil }
        let server: NIOAsyncChannel<NIOAsyncChannel<Frame, Frame>, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: host, port: configuration.listenPort) { channel in self.makeAsyncChannel(channel) }
        } catch {
            let inUse = (error as? IOError)?.errnoCode == EADDRINUSE
            throw P2PError(
                .listen,
                "cannot listen for peers on \(PeerRecord.format(host: host, port: UInt16(clamping: configuration.listenPort)))"
                    + (inUse ? ": the address is in use (another keel-node?); choose another --p2p-addr" : "; check --p2p-addr"),
                cause: error)
        }
        let port = server.channel.localAddress?.port ?? configuration.listenPort
        let address = PeerRecord.format(host: host, port: UInt16(port))
        state.withLock { s in
            s.listenAddress = address
            s.server = server.channel
        }
        logger.info("p2p listening", metadata: ["address": "\(address)"])
        onListening(address)
        return server
    }

    private func acceptLoop(_ server: NIOAsyncChannel<NIOAsyncChannel<Frame, Frame>, Never>) async {
        do {
            try await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await self.runSession(connection, direction: .inbound, dialed: nil, outcome: nil) }
                    }
                }
            }
        } catch {
            if !state.withLock({ $0.stopping }) { logger.error("p2p listener failed", metadata: ["error": "\(error)"]) }
        }
    }
}

/// A result delivered once: the first completion wins, later ones are ignored.
final class DialOutcome: Sendable {
    let promise: EventLoopPromise<Bool>
    private let done = Mutex(false)

    init(eventLoop: any EventLoop) { promise = eventLoop.makePromise(of: Bool.self) }

    // An outcome dropped unanswered (a job queued to watch a dial that shutdown never ran) says
    // false: NIO traps on a promise left pending in a debug build, and a waiter would hang.
    deinit { complete(false) }

    func complete(_ value: Bool) {
        let first = done.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        if first { promise.succeed(value) }
    }

    /// The result (false if the promise fails, which it never does by construction).
    func wait() async -> Bool {
        do {
            return try await promise.futureResult.get()
        } catch {
            return false  // not reached: the promise only ever succeeds
        }
    }
}

extension P2PNetwork.State {
    /// Stops counting `peer` against the inbound slots (once).
    mutating func uncountInbound(_ peer: Peer) {
        guard inboundCounted.remove(peer.id) != nil else { return }
        inboundByHost[peer.host, default: 1] -= 1
        if inboundByHost[peer.host] == 0 { inboundByHost[peer.host] = nil }
    }
}
