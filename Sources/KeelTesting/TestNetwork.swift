import Foundation
import KeelChain
import KeelCore
import KeelFiles
import KeelP2P
import Logging
import Prometheus
import ServiceLifecycle

/// One in-process node: a dev chain on a temporary store and a `P2PNetwork` listening on
/// 127.0.0.1 with a free port, run by its own service group.
public final class TestPeerNode: Sendable {
    /// Position in its `TestNetwork`.
    public let index: Int
    /// The chain (store, state, miner key).
    public let chain: TestChain
    /// The P2P layer.
    public let network: P2PNetwork
    /// The registry its metrics are on.
    public let registry: PrometheusCollectorRegistry
    let group: ServiceGroup
    let runner: Task<Void, Never>

    /// Starts a node and waits until it listens.
    public static func start(
        index: Int, configuration: P2PConfiguration, clock: any WallClock = OffsetClock(offset: 3_600_000),
        directory: TemporaryDirectory? = nil
    ) async throws -> TestPeerNode {
        let chain = try TestChain(directory: directory ?? TemporaryDirectory("node\(index)"), clock: clock)
        return try await start(index: index, chain: chain, configuration: configuration, clock: clock)
    }

    /// Starts P2P over an existing chain.
    public static func start(
        index: Int, chain: TestChain, configuration: P2PConfiguration,
        clock: any WallClock = OffsetClock(offset: 3_600_000)
    ) async throws -> TestPeerNode {
        let registry = PrometheusCollectorRegistry()
        let logger = TestNetwork.logger("node\(index)")
        let network = try P2PNetwork(
            configuration: configuration, chain: chain.chain, metrics: P2PMetrics(registry: registry),
            logger: logger, clock: clock)
        let group = ServiceGroup(configuration: .init(services: [network], logger: logger))
        let runner = Task<Void, Never> { do { try await group.run() } catch {} }
        let node = TestPeerNode(index: index, chain: chain, network: network, registry: registry, group: group, runner: runner)
        guard await Poll.holds(within: 60, { network.listenAddress != nil || configuration.listenHost == nil }) else {
            throw PollTimeout(what: "node \(index) to listen")
        }
        return node
    }

    private init(
        index: Int, chain: TestChain, network: P2PNetwork, registry: PrometheusCollectorRegistry, group: ServiceGroup,
        runner: Task<Void, Never>
    ) {
        self.index = index
        self.chain = chain
        self.network = network
        self.registry = registry
        self.group = group
        self.runner = runner
    }

    /// Where it listens.
    public var address: String { network.listenAddress ?? "" }

    /// The active tip.
    public var tip: ChainState.Tip { chain.chain.tip }

    /// Mines `count` blocks on its tip (100 ms apart, like `TestChain.extend`), relayed by P2P,
    /// on a thread of its own (it blocks on RocksDB).
    @discardableResult
    public func mine(_ count: Int = 1) async throws -> [Block] {
        let chain = self.chain
        return try await Blocking.run { try chain.extend(count) }
    }

    /// The metrics exposition text.
    public func metricsText() -> String {
        var buffer = [UInt8]()
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// A sample's value from the exposition (`name{labels}` exactly as printed), or nil.
    public func metric(_ series: String) -> Double? { Exposition.value(series, in: metricsText()) }

    /// Shuts P2P down (waiting for every session to end) and closes the store.
    public func stop() async {
        await group.triggerGracefulShutdown()
        await runner.value
        chain.close()
    }
}

/// N in-process nodes on loopback that tests connect, split, join and wait on.
public final class TestNetwork: Sendable {
    /// The nodes, in start order; `nodes[i]` is what `connect(i, j)` names.
    public let nodes: [TestPeerNode]

    /// A configuration for test nodes: listen on a free loopback port, a health round every
    /// second, and no automatic dialling (tests wire the topology) unless `configure` says
    /// otherwise. The connect timeout stays at 10 s: suites run in parallel on two cores.
    public static func configuration() -> P2PConfiguration {
        P2PConfiguration(
            listenHost: "127.0.0.1", listenPort: 0, connectTimeout: 10, healthInterval: 1, pingInterval: 5,
            targetOutbound: 0, banSeconds: 3_600, discovery: false)
    }

    /// A logger that stays quiet unless KEEL_TEST_LOG names a level.
    public static func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        if let level = getenvString("KEEL_TEST_LOG").flatMap(Logger.Level.init(rawValue:)) {
            logger.logLevel = level
        } else {
            logger.logLevel = .critical
        }
        return logger
    }

    /// Starts `count` nodes.
    public static func start(_ count: Int, configure: (Int, inout P2PConfiguration) -> Void = { _, _ in }) async throws -> TestNetwork {
        var nodes = [TestPeerNode]()
        for i in 0..<count {
            var configuration = TestNetwork.configuration()
            configure(i, &configuration)
            nodes.append(try await TestPeerNode.start(index: i, configuration: configuration))
        }
        return TestNetwork(nodes: nodes)
    }

    /// Wraps started nodes.
    public init(nodes: [TestPeerNode]) { self.nodes = nodes }

    /// Node `i`.
    public subscript(i: Int) -> TestPeerNode { nodes[i] }

    /// Node `a` dials node `b` and the handshake completes.
    public func connect(_ a: Int, _ b: Int) async throws {
        guard await nodes[a].network.connect(to: nodes[b].address) else {
            throw PollTimeout(what: "node \(a) to connect to node \(b)")
        }
    }

    /// Connects 0-1, 1-2, ... in a line.
    public func line() async throws {
        for i in 0..<(nodes.count - 1) { try await connect(i, i + 1) }
    }

    /// Closes every connection between a node in `left` and a node in `right`, on both ends,
    /// and waits until neither side sees the other.
    public func split(_ left: [Int], _ right: [Int]) async throws {
        for a in left {
            for b in right {
                nodes[a].network.disconnect(address: nodes[b].address)
                nodes[b].network.disconnect(address: nodes[a].address)
            }
        }
        let ok = await Poll.holds(within: 10) {
            left.allSatisfy { a in
                let listening = Set(nodes[a].network.peers().compactMap(\.listenAddress))
                return right.allSatisfy { !listening.contains(nodes[$0].address) }
            }
        }
        if !ok { throw PollTimeout(what: "the split to take effect") }
    }

    /// Waits until every node in `which` (all by default) has the same tip.
    public func waitForTips(_ which: [Int]? = nil, timeout: Double = 30) async throws {
        let chosen = (which ?? Array(nodes.indices)).map { nodes[$0] }
        let agreed = await Poll.holds(within: timeout) { Set(chosen.map(\.tip.hash)).count == 1 }
        if !agreed {
            let tips = chosen.map { "node\($0.index)=\($0.tip.height)" }.joined(separator: " ")
            throw PollTimeout(what: "tips to agree (\(tips))")
        }
    }

    /// Stops every node.
    public func stop() async {
        for node in nodes { await node.stop() }
    }
}

private func getenvString(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }
