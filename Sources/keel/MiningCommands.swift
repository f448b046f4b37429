import ArgumentParser
import KeelAPIModels
import KeelClient

struct MiningCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mining", abstract: "Start, stop and inspect the node's miner.",
        subcommands: [MiningStartCommand.self, MiningStopCommand.self, MiningStatusCommand.self])
}

private func show(_ m: API.Mining, json: Bool) throws {
    if json {
        try printJSON(["active": m.active, "threads": m.threads, "hashes_total": m.hashesTotal, "pay_to": m.payTo ?? ""])
    } else {
        print(m.active ? "mining with \(m.threads) thread(s) to \(m.payTo ?? "-"), \(m.hashesTotal) hashes" : "not mining (\(m.hashesTotal) hashes so far)")
    }
}

struct MiningStartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start mining (returns once the workers run).")
    @OptionGroup var node: NodeOptions
    @Option(name: .long, help: "Worker threads (1-256).") var threads: Int = 1

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be from 1 to 256") }
    }

    func run() throws {
        try reporting { try show(try node.client().startMining(threads: threads), json: node.json) }
    }
}

struct MiningStopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop mining (returns once every worker has exited).")
    @OptionGroup var node: NodeOptions

    func run() throws {
        try reporting {
            let stopped = try node.client().stopMining()
            if node.json {
                try printJSON(["active": stopped.mining.active, "stop_seconds": stopped.stopSeconds])
            } else {
                print("stopped in \(Int((stopped.stopSeconds * 1000).rounded())) ms")
            }
        }
    }
}

struct MiningStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Whether the node mines, with how many threads.")
    @OptionGroup var node: NodeOptions

    func run() throws {
        try reporting { try show(try node.client().mining(), json: node.json) }
    }
}
