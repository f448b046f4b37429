import ArgumentParser

@main
struct KeelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel",
        abstract: "The Keel command line: chain tools (more to come: wallet, node control, peers).",
        subcommands: [ChainCommand.self])
}

struct ChainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chain",
        abstract: "Inspect and verify a node's data directory (read-only; works on a stopped node).",
        subcommands: [ChainInfoCommand.self, ChainVerifyCommand.self])
}
