import ArgumentParser
import Foundation
import KeelClient

struct PeersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers", abstract: "List peers, and move the address book between nodes.",
        discussion: """
            A bundle is JSON (format keel-peers/1) naming the network, its genesis hash and the addresses, \
            including the exporting node's own listen address. Example: \
            keel peers export --data-dir A > bundle.json && keel peers import bundle.json --data-dir B
            """,
        subcommands: [
            PeersListCommand.self, PeersExportCommand.self, PeersImportCommand.self, PeersConnectCommand.self,
            PeersDisconnectCommand.self,
        ])
}

struct PeersListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Connected peers.")
    @OptionGroup var node: NodeOptions

    func run() throws {
        try reporting {
            guard let client = try node.clientForText(orPrintJSONAt: "/v1/peers") else { return }
            let peers = try client.peers()
            if peers.isEmpty { print("no peers") }
            for p in peers {
                let ping = p.pingSeconds.map { "\(Int(($0 * 1000).rounded())) ms" } ?? "-"
                print(
                    "\(p.direction.padding(toLength: 9, withPad: " ", startingAt: 0)) \(p.listenAddress ?? p.remoteAddress)  height \(p.bestHeight)  ping \(ping)  score \(p.score)  \(p.userAgent)"
                )
            }
        }
    }
}

struct PeersExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Print the address book as a bundle (JSON) on stdout.")
    @OptionGroup var node: NodeOptions

    func run() throws {
        try reporting { print(try node.client().exportPeers()) }
    }
}

struct PeersImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Add a bundle's addresses to the node's address book (kept across restarts).")
    @OptionGroup var node: NodeOptions
    @Argument(help: "The bundle file ('-' for stdin).") var file: String

    func run() throws {
        try reporting {
            let bytes: [UInt8]
            if file == "-" {
                bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
            } else {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw CLIFailure(message: "cannot read \(file)", exitCode: 2)
                }
                bytes = Array(data)
            }
            let result = try node.client().importPeers(bundle: bytes)
            if node.json {
                try printJSON(["added": result.added, "known": result.known, "invalid": result.invalid, "refused": result.refused])
            } else {
                print("imported: \(result.added) new, \(result.known) already known, \(result.invalid) invalid")
                if result.refused > 0 {
                    print(
                        "refused: \(result.refused) not loopback (a dev node dials only loopback addresses it learns; keel-node --allow-remote-peers lifts this)"
                    )
                }
            }
        }
    }
}

struct PeersConnectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect", abstract: "Dial a peer now and keep it in the address book (returns once the handshake completes).")
    @OptionGroup var node: NodeOptions
    @Argument(help: "HOST:PORT") var address: String

    func run() throws {
        try reporting {
            guard try node.client().connect(address) else {
                if node.json { print("{\"address\":\"\(address)\",\"connected\":false}") }
                throw CLIFailure(message: "could not complete a handshake with \(address) within the node's connect timeout", exitCode: 1)
            }
            print(node.json ? "{\"address\":\"\(address)\",\"connected\":true}" : "connected to \(address)")
        }
    }
}

struct PeersDisconnectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disconnect",
        abstract: "Close the node's connections to a peer (it may be dialled again while below --max-outbound).")
    @OptionGroup var node: NodeOptions
    @Argument(help: "HOST:PORT (the peer's listen address)") var address: String

    func run() throws {
        try reporting {
            let closed = try node.client().disconnect(address)
            print(node.json ? "{\"address\":\"\(address)\",\"closed\":\(closed)}" : "closed \(closed) connection(s) to \(address)")
        }
    }
}

struct NetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network", abstract: "P2P health and discovery checks.",
        subcommands: [NetworkHealthCommand.self, NetworkVerifyCommand.self])
}

struct NetworkHealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health", abstract: "Peers, seeds (reachability and latency), address book and bans.",
        discussion: "Exits 0 when the status is ok, degraded or connecting; 1 when the node is isolated (no peers, and every seed tried has failed).")
    @OptionGroup var node: NodeOptions

    func run() throws {
        try reporting {
            let client = try node.client()
            let h = try client.networkHealth()
            if node.json {
                print(try client.raw("/v1/network/health").text)
            } else {
                print("status        \(h.status)")
                for reason in h.reasons { print("              \(reason)") }
                print("listening     \(h.listenAddress ?? "no")")
                print("peers         \(h.outbound) outbound (target \(h.targetOutbound)), \(h.inbound) inbound")
                print("address book  \(h.addressBookSize) addresses, \(h.learnedAddresses) learned from peers; \(h.bannedHosts) hosts banned")
                print("heights       ours \(h.tipHeight), best peer \(h.bestPeerHeight)")
                for seed in h.seeds {
                    let state = seed.reachable.map { $0 ? "reachable" : "unreachable" } ?? "not tried"
                    let latency = seed.latencySeconds.map { ", \(Int(($0 * 1000).rounded())) ms" } ?? ""
                    let error = seed.lastError.map { " (\($0))" } ?? ""
                    print("seed          \(seed.address): \(state)\(latency)\(error)")
                }
            }
            if h.status == "isolated" { throw CLIFailure(message: "the node has no peers", exitCode: 1) }
        }
    }
}

struct NetworkVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Prove discovery works: address book, address exchange, and a dial-back from a peer.",
        discussion: "Each step prints pass or fail; exits 1 if any fails.")
    @OptionGroup var node: NodeOptions

    func run() throws {
        try reporting {
            let result = try node.client().verifyNetwork()
            if node.json {
                try printJSON(["passed": result.passed, "steps": result.steps.map { ["name": $0.name, "passed": $0.passed, "detail": $0.detail] }])
            } else {
                for step in result.steps { print("\(step.passed ? "pass" : "FAIL")  \(step.name): \(step.detail)") }
            }
            if !result.passed { throw CLIFailure(message: "network verification failed", exitCode: 1) }
        }
    }
}
