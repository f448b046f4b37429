import ArgumentParser
import KeelClient

struct NodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Ask a running node how it is.", subcommands: [NodeStatusCommand.self])
}

struct NodeStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Network, height, tip, peers, mempool and mining.")
    @OptionGroup var node: NodeOptions

    func run() throws {
        try reporting {
            guard let client = try node.clientForText(orPrintJSONAt: "/v1/status") else { return }
            let s = try client.status()
            print("network   \(s.network) (keel-node \(s.version), \(s.phase))")
            print("height    \(s.height)")
            print("tip       \(s.tip)")
            print("peers     \(s.peers)")
            print("mempool   \(s.mempool.transactions) transactions, \(s.mempool.bytes) bytes")
            print("mining    \(s.mining.active ? "on, \(s.mining.threads) thread(s)" : "off"), \(s.mining.hashesTotal) hashes")
        }
    }
}
