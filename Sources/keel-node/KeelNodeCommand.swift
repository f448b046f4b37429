import ArgumentParser
import Foundation
import KeelCore
import KeelFiles
import KeelMetrics
import KeelNode
import KeelP2P
import Logging
import ServiceLifecycle

@main
struct KeelNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel-node",
        abstract: "Run a Keel node: chain, storage, miner, HTTP API and Prometheus metrics.",
        discussion: """
            The node keeps its database in --data-dir (RocksDB under DIR/chain, locked while it runs) \
            and resumes from the stored tip after any stop or crash. SIGTERM or SIGINT finishes in-flight \
            API requests, stops the miner, closes the store cleanly and exits 0.

            Peers connect on --p2p-addr (127.0.0.1:9333 on dev, 0.0.0.0:9333 on main, 0.0.0.0:19333 on test). \
            --connect addresses are kept connected; --seed addresses bootstrap the address book, dialled in order \
            with --connect-timeout each and falling back to the next. Known addresses and bans are kept in the \
            database, so a restart needs no flags; 'keel peers export/import' moves them between nodes. \
            A dev node dials only loopback addresses it learns from peers or imports (others are dropped and \
            counted in keel_p2p_addresses_refused_total); --connect and --seed go wherever they say, and \
            --allow-remote-peers lifts the rule.

            The HTTP API and /metrics listen on --api-addr (127.0.0.1:9334). Routes that change state need \
            'Authorization: Bearer <token>' with the token from DIR/api.token (created on first start, mode 0600).

            If the start-up check finds the stored chain state inconsistent, the node refuses to start \
            and says so; --reindex rebuilds chain state from the stored blocks. A damaged database file \
            (RocksDB's log, tables, MANIFEST or CURRENT) is refused with the file's name, the height its \
            intact part reaches and the ways out (a backup, --reindex, or --accept-data-loss); a crash's \
            torn last write is recovered without asking. When writes fail (a full disk, I/O errors) or free \
            space falls under the floor, the node stops taking blocks and transactions, stops mining, answers \
            /ready 503 with the reason and carries on by itself once writes work again; it will not start \
            under the floor. 'keel chain backup' copies the store while the node runs.

            Exit codes: 0 stopped on SIGTERM or SIGINT; 1 failed while running (a store that cannot be \
            written, an address that cannot be bound), worth a restart; 2 did not start: another node holds \
            the data directory, a damaged or inconsistent store, too little free space, a bad token file \
            (a restart changes nothing; fix what the message names); 64 bad usage.

            Example: keel-node --dev --data-dir ~/.keel/dev --threads 2
            """,
        version: KeelBuild.versionLine("keel-node"))

    @Flag(name: .long, help: "Use the dev network (100 ms blocks, easy target): the test mode.")
    var dev = false

    @Option(name: .long, help: "Network: main, test or dev (default main; --dev means dev).")
    var network: String?

    @Option(name: .long, help: "Data directory (default ~/.keel/<network>).")
    var dataDir: String?

    @Option(name: .long, help: "Address mined coinbases pay (default: the node's own key in DATA_DIR/miner.key).")
    var mineTo: String?

    @Option(name: .long, help: "Mining threads; 0 disables mining (default 1 on dev, 0 otherwise).")
    var threads: Int?

    @Flag(name: .long, help: "Rebuild chain state from the stored blocks before starting.")
    var reindex = false

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "After the node refused a damaged store: keep its intact part and sync the rest from peers.",
            discussion:
                "A damaged write-ahead log is cut back to its last intact write (the height the refusal named); a damaged MANIFEST or CURRENT is rebuilt from the tables by RocksDB's repair. Blocks after that point are lost from this store. Restoring a backup loses nothing; prefer it when there is one."
        ))
    var acceptDataLoss = false

    @Option(name: .long, help: "API and /metrics address, HOST:PORT (port 0 picks a free one).")
    var apiAddr: String = "127.0.0.1:9334"

    @Option(name: .long, help: "Seconds after start before the RSS baseline of keel_process_rss_growth_ratio is taken.")
    var rssWarmup: Double = 600

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A host name the API answers besides IP addresses and localhost (repeatable; * for any).",
            discussion:
                "Requests naming another host in their Host header get 403: a web page cannot read the API through DNS rebinding. Add the name a reverse proxy or a client uses."
        ))
    var apiAllowHost: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A second listener serving only /metrics, HOST:PORT (default: none; /metrics stays on --api-addr too).",
            discussion: "For a Prometheus on another host: expose this address to it and keep --api-addr on loopback."))
    var metricsAddr: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Capacity of RocksDB's block cache in MiB (default: 32 on main, 8 on dev).",
            discussion:
                "Memory kept for reads of blocks, coins and indexes; a hard bound, reported as keel_rocksdb_block_cache_capacity_bytes. More speeds up API reads and validation on a large chain."
        ))
    var dbCacheMib: Int?

    @Option(name: .long, help: "Seconds a tip may age before /ready reports the node not ready.")
    var maxTipAge: Double = 3600

    @Option(name: .long, help: "P2P listen address, HOST:PORT (port 0 picks a free one; default by network, see above).")
    var p2pAddr: String?

    @Flag(name: .long, help: "Accept no inbound P2P connections.")
    var noListen = false

    @Option(name: .long, help: "Keep a connection to this peer, HOST:PORT (repeatable).")
    var connect: [String] = []

    @Option(name: .long, help: "Bootstrap from this peer, HOST:PORT (repeatable; tried in order).")
    var seed: [String] = []

    @Option(name: .long, help: "Seconds a dial may take, TCP connect plus handshake.")
    var connectTimeout: Double = 10

    @Option(name: .long, help: "Most inbound peers; when full, the least useful inbound peer makes room for a new one.")
    var maxInbound: Int = 1000

    @Option(name: .long, help: "Most inbound connections from one host (IP address).")
    var maxInboundPerHost: Int = 8

    @Option(name: .long, help: "Outbound peers to keep (the health loop dials more when below).")
    var maxOutbound: Int = 8

    @Option(name: .long, help: "Seconds between P2P health rounds (seed reachability, dials, gauges).")
    var healthInterval: Double = 30

    @Option(name: .long, help: "Seconds a misbehaving host stays banned.")
    var banSeconds: Double = 86_400

    @Flag(name: .long, help: "Neither share nor learn peer addresses (getaddr/addr).")
    var noDiscovery = false

    @Flag(
        name: .long,
        help:
            "On dev, also dial addresses learned from peers or imports that are not loopback (by default a dev node dials only 127.0.0.0/8 and ::1 it learns).")
    var allowRemotePeers = false

    @Option(name: .long, help: ArgumentHelp("Test only: learned addresses must also start with this loopback prefix.", visibility: .hidden))
    var testDialPrefix: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(name: .long, help: ArgumentHelp("Test only: retain this many KiB a second, a deliberate leak the memory soak must catch.", visibility: .hidden))
    var testLeakKibPerSecond: Int = 0

    func validate() throws {
        if let threads, threads < 0 || threads > 256 { throw ValidationError("--threads must be between 0 and 256") }
        if dev, let network, network != "dev" { throw ValidationError("--dev conflicts with --network \(network)") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("unknown --log-level '\(logLevel)'") }
        if let network, Network.named(network) == nil { throw ValidationError("unknown network '\(network)': use main, test or dev") }
        if parseAddress(apiAddr) == nil { throw ValidationError("--api-addr must be HOST:PORT, e.g. 127.0.0.1:9334") }
        if let metricsAddr, parseAddress(metricsAddr) == nil { throw ValidationError("--metrics-addr must be HOST:PORT, e.g. 127.0.0.1:9336") }
        if rssWarmup < 0 { throw ValidationError("--rss-warmup must be zero or more seconds") }
        if let dbCacheMib, !(1...65_536).contains(dbCacheMib) { throw ValidationError("--db-cache-mib must be 1 to 65536 (MiB)") }
        if maxTipAge <= 0 { throw ValidationError("--max-tip-age must be more than zero seconds") }
        if testLeakKibPerSecond < 0 { throw ValidationError("--test-leak-kib-per-second must be zero or more") }
        if let p2pAddr, parseAddress(p2pAddr) == nil { throw ValidationError("--p2p-addr must be HOST:PORT, e.g. 127.0.0.1:9333") }
        for address in connect + seed where P2PConfiguration.parse(address) == nil {
            throw ValidationError("'\(address)' is not HOST:PORT (--connect and --seed)")
        }
        if connectTimeout <= 0 || connectTimeout > 600 { throw ValidationError("--connect-timeout must be between 0 and 600 seconds") }
        if maxInbound < 0 { throw ValidationError("--max-inbound must be zero or more") }
        if maxInboundPerHost < 1 { throw ValidationError("--max-inbound-per-host must be at least 1") }
        if maxOutbound < 0 || maxOutbound > 64 { throw ValidationError("--max-outbound must be from 0 to 64") }
        if healthInterval < 0.1 { throw ValidationError("--health-interval must be at least 0.1 seconds") }
        if banSeconds < 0 { throw ValidationError("--ban-seconds must be zero or more") }
    }

    func run() async throws {
        let net = dev ? Network.dev : Network.named(network ?? "main")!
        let level = Logger.Level(rawValue: logLevel) ?? .info
        OperatorLogging.bootstrap(level: level, toStandardError: false)
        let logger = Logger(label: "keel-node")
        raiseOpenFileLimit(logger: logger, needed: maxInbound + maxOutbound + 256)
        let directory = absolutePath(dataDir ?? "~/.keel/\(net.name)")
        var mineAddress: Address?
        if let mineTo {
            do { mineAddress = try Address(parsing: mineTo, network: net) } catch {
                throw ValidationError("--mine-to: \(error.message)")
            }
        }
        let (host, port) = parseAddress(apiAddr)!
        let defaultP2P = net == .dev ? "127.0.0.1:9333" : net == .test ? "0.0.0.0:19333" : "0.0.0.0:9333"
        let (p2pHost, p2pPort) = parseAddress(p2pAddr ?? defaultP2P)!
        let p2p = P2PConfiguration(
            listenHost: noListen ? nil : p2pHost, listenPort: p2pPort, connect: connect, seeds: seed,
            connectTimeout: connectTimeout, healthInterval: healthInterval, maxInbound: maxInbound,
            targetOutbound: maxOutbound, banSeconds: banSeconds, discovery: !noDiscovery,
            allowRemotePeers: allowRemotePeers)
        var config = NodeConfiguration(
            network: net, dataDirectory: directory, mineTo: mineAddress,
            threads: threads ?? (net == .dev ? 1 : 0), reindex: reindex,
            apiHost: host, apiPort: port, rssWarmup: rssWarmup, maxTipAge: maxTipAge, p2p: p2p)
        config.acceptDataLoss = acceptDataLoss
        config.blockCacheBytes = dbCacheMib.map { $0 << 20 }
        config.metricsAddress = metricsAddr.flatMap(parseAddress)
        config.apiAllowHosts = apiAllowHost
        config.p2p.testDialPrefix = testDialPrefix
        config.p2p.maxInboundPerHost = maxInboundPerHost
        let node: Node
        do {
            node = try Node(configuration: config, logger: logger)
        } catch {
            // Every start-up failure is a 2 (the unit does not restart on it): the code and the
            // message say what to fix.
            let text = (error as? any KeelError)?.rendered ?? "\(error)"
            FileHandle.standardError.write(Data("keel-node: error: \(text)\n".utf8))
            throw ExitCode(2)
        }
        print("keel-node: \(net.name) network, data directory \(directory)")
        if let allocator = Heap.description {
            print("keel-node: allocator \(allocator)")
        } else {
            logger.warning("jemalloc is not serving this process: RSS may drift upwards as glibc's allocator fragments")
        }
        if let tip = node.chain?.tip {
            print("keel-node: tip height \(tip.height) hash \(tip.hash)")
        } else {
            print("keel-node: reindexing before the chain is served")
        }
        print(config.threads > 0 ? "keel-node: mining to \(node.coinbaseAddress) with \(config.threads) thread(s)" : "keel-node: not mining")
        fflush(nil)
        let systemd = SystemdNotifier()
        let api = node.apiService(logger: logger) { url in
            print("keel-node: API \(url) (token in \(directory)/api.token)")
            print("keel-node: metrics \(url)/metrics")
            fflush(nil)
            // Serving: /ready says whether it is also synced and has peers.
            systemd.ready(status: "serving the API on \(url)")
        }
        let network = NetworkService(node: node, logger: logger) { address in
            print("keel-node: p2p \(address)")
            fflush(nil)
        }
        // Shutdown runs in reverse: peers are closed, then the API drains in-flight requests,
        // then the store closes.
        var services: [any Service] = [NodeService(node: node, logger: logger, systemd: systemd), api, network]
        if let metricsOnly = node.metricsService(
            logger: logger,
            onListening: { url in
                print("keel-node: metrics only \(url)/metrics")
                fflush(nil)
            })
        {
            services.append(metricsOnly)
        }
        if testLeakKibPerSecond > 0 { services.append(TestLeak(kibPerSecond: testLeakKibPerSecond, logger: logger)) }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            FileHandle.standardError.write(Data("keel-node: error: \(node.describeRunFailure(error))\n".utf8))
            node.shutdown()
            throw ExitCode(1)
        }
    }

    /// Every peer is a file descriptor: lift the soft limit to the hard one (capped), and say so
    /// if even that is short of what --max-inbound asks for.
    private func raiseOpenFileLimit(logger: Logger, needed: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let wanted = min(limit.rlim_max, 1 << 20)
        if limit.rlim_cur < wanted {
            limit.rlim_cur = wanted
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        if Int(limit.rlim_cur) < needed {
            logger.warning(
                "open-file limit below what the peer limits need; raise it (ulimit -n) or lower --max-inbound",
                metadata: ["limit": "\(limit.rlim_cur)", "needed": "\(needed)"])
        }
    }

    private func parseAddress(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        let host = String(text[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    private func absolutePath(_ path: String) -> String {
        let expanded = NSString(string: path).expandingTildeInPath
        if expanded.hasPrefix("/") { return expanded }
        return FileManager.default.currentDirectoryPath + "/" + expanded
    }
}
