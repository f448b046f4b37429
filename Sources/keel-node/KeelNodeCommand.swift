import ArgumentParser
import Foundation
import KeelCore
import KeelNode
import Logging
import ServiceLifecycle

@main
struct KeelNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel-node",
        abstract: "Run a Keel node: chain, storage and miner.",
        discussion: """
        The node keeps its database in --data-dir (RocksDB under DIR/chain, locked while it runs) \
        and resumes from the stored tip after any stop or crash. SIGTERM or SIGINT stops the miner, \
        closes the store cleanly and exits 0.

        If the start-up check finds the stored chain state inconsistent, the node refuses to start \
        and says so; --reindex rebuilds chain state from the stored blocks.

        Example: keel-node --dev --data-dir ~/.keel/dev --threads 2
        """)

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

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        if let threads, threads < 0 || threads > 256 { throw ValidationError("--threads must be between 0 and 256") }
        if dev, let network, network != "dev" { throw ValidationError("--dev conflicts with --network \(network)") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("unknown --log-level '\(logLevel)'") }
        if let network, Network.named(network) == nil { throw ValidationError("unknown network '\(network)': use main, test or dev") }
    }

    func run() async throws {
        let net = dev ? Network.dev : Network.named(network ?? "main")!
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "keel-node")
        let directory = absolutePath(dataDir ?? "~/.keel/\(net.name)")
        var mineAddress: Address?
        if let mineTo {
            do { mineAddress = try Address(parsing: mineTo, network: net) } catch {
                throw ValidationError("--mine-to: \(error.message)")
            }
        }
        let config = NodeConfiguration(network: net, dataDirectory: directory, mineTo: mineAddress,
                                       threads: threads ?? (net == .dev ? 1 : 0), reindex: reindex)
        let node: Node
        do {
            node = try Node(configuration: config, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("keel-node: error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let tip = node.chain.tip
        print("keel-node: \(net.name) network, data directory \(directory)")
        print("keel-node: tip height \(tip.height) hash \(tip.hash)")
        print(config.threads > 0 ? "keel-node: mining to \(node.coinbaseAddress) with \(config.threads) thread(s)" : "keel-node: not mining")
        fflush(nil)
        let group = ServiceGroup(configuration: .init(services: [NodeService(node: node, logger: logger)],
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    private func absolutePath(_ path: String) -> String {
        let expanded = NSString(string: path).expandingTildeInPath
        if expanded.hasPrefix("/") { return expanded }
        return FileManager.default.currentDirectoryPath + "/" + expanded
    }
}
