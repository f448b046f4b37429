import ArgumentParser
import KeelCore

@main
struct KeelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel",
        abstract: "The Keel command line: wallet, node control, mining and chain tools.",
        discussion: """
            Commands that talk to a node find it through --data-dir (DIR/api.url and DIR/api.token, or \
            $KEEL_DATA_DIR) or --api and --token-file.

            Exit codes: 0 success; 1 the node refused the request (its error code is printed); \
            2 the request could not be made; 3 the node is unreachable; 64 bad usage.
            """,
        version: KeelBuild.versionLine("keel"),
        subcommands: [WalletCommand.self, NodeCommand.self, MiningCommand.self, PeersCommand.self, NetworkCommand.self, ChainCommand.self])
}

struct ChainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chain",
        abstract: "Inspect, verify and back up a node's data directory.",
        subcommands: [ChainInfoCommand.self, ChainVerifyCommand.self, ChainBackupCommand.self])
}
