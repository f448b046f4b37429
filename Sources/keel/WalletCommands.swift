import ArgumentParser
import Foundation
import KeelClient
import KeelCore
import KeelWallet

struct WalletCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wallet",
        abstract: "Keys, balances and payments. Keys live in an encrypted wallet file (mode 0600).",
        discussion: "Reads (address, balance, utxos, history) need no passphrase; send does (--passphrase-file for scripts).",
        subcommands: [
            WalletCreateCommand.self, WalletAddressCommand.self, WalletBalanceCommand.self,
            WalletUTXOsCommand.self, WalletSendCommand.self, WalletHistoryCommand.self,
        ])
}

/// Where the wallet file is and how to get its passphrase.
struct WalletOptions: ParsableArguments {
    @Option(name: .long, help: "The wallet file (default $KEEL_WALLET, else ~/.keel/wallet.json).")
    var wallet: String?

    @Option(name: .long, help: "A file whose first line is the passphrase (otherwise it is asked on the terminal).")
    var passphraseFile: String?

    var path: String {
        let chosen = wallet ?? ProcessInfo.processInfo.environment["KEEL_WALLET"] ?? "~/.keel/wallet.json"
        return NSString(string: chosen).expandingTildeInPath
    }

    func passphrase(confirm: Bool = false) throws -> String {
        if let passphraseFile {
            let text: String
            do { text = try String(contentsOfFile: passphraseFile, encoding: .utf8) } catch {
                throw CLIFailure(message: "cannot read the passphrase file \(passphraseFile): \(error.localizedDescription)", exitCode: 2)
            }
            return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }
        guard isatty(STDIN_FILENO) != 0, let first = getpass("Wallet passphrase: ") else {
            throw CLIFailure(message: "no terminal to ask the passphrase on: use --passphrase-file", exitCode: 2)
        }
        let passphrase = String(cString: first)
        if confirm {
            guard let again = getpass("Repeat the passphrase: "), String(cString: again) == passphrase else {
                throw CLIFailure(message: "the passphrases differ", exitCode: 2)
            }
        }
        return passphrase
    }

    func open() throws -> Wallet {
        do { return try Wallet.open(path: path) } catch let error as WalletError {
            throw CLIFailure(message: error.message, exitCode: 2)
        }
    }
}

/// Runs wallet work, turning wallet errors into exit code 1 with the message.
func walletReporting<T>(_ body: () throws -> T) throws -> T {
    try reporting {
        do { return try body() } catch let error as WalletError {
            throw CLIFailure(message: error.message, exitCode: 1)
        }
    }
}

/// A wallet command that asks the node: the wallet file and the node's options.
protocol WalletReadCommand: ParsableCommand {
    var options: WalletOptions { get }
    var node: NodeOptions { get }
}

extension WalletReadCommand {
    /// Opens the wallet and a client of the node, and reports failures as `walletReporting` does.
    func withWallet(_ body: (Wallet, NodeClient) throws -> Void) throws {
        try walletReporting { try body(try options.open(), try node.client()) }
    }
}

struct WalletCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a wallet with a new key.")
    @OptionGroup var options: WalletOptions
    @Option(name: .long, help: "Network of the wallet's addresses: main, test or dev.") var network: String = "main"
    @Option(name: .long, help: "scrypt cost as log2 of the rounds (15 = 32 MiB of memory).") var kdfLogN: Int = 15

    func validate() throws {
        guard Network.named(network) != nil else { throw ValidationError("unknown network '\(network)': use main, test or dev") }
    }

    func run() throws {
        try walletReporting {
            let path = options.path
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            let wallet = try Wallet.create(
                path: path, network: Network.named(network)!, passphrase: try options.passphrase(confirm: true),
                logN: kdfLogN)
            print(wallet.addresses[0])
        }
    }
}

struct WalletAddressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "address", abstract: "Print the wallet's receiving address.")
    @OptionGroup var options: WalletOptions

    func run() throws {
        try walletReporting { print(try options.open().addresses[0]) }
    }
}

struct WalletBalanceCommand: WalletReadCommand {
    static let configuration = CommandConfiguration(commandName: "balance", abstract: "The wallet's balance, from the node's address index.")
    @OptionGroup var options: WalletOptions
    @OptionGroup var node: NodeOptions

    func run() throws {
        try withWallet { wallet, client in
            var units: UInt64 = 0
            var count = 0
            for address in wallet.addresses {
                let balance = try client.balance(address)
                units += balance.balance.units
                count += balance.utxoCount
            }
            let total = Amount(units: units)
            if node.json {
                try printJSON(["units": units, "decimal": total.decimalString, "utxo_count": count])
            } else {
                print("\(total.decimalString) KEEL in \(count) outputs")
            }
        }
    }
}

struct WalletUTXOsCommand: WalletReadCommand {
    static let configuration = CommandConfiguration(commandName: "utxos", abstract: "The wallet's unspent outputs.")
    @OptionGroup var options: WalletOptions
    @OptionGroup var node: NodeOptions

    func run() throws {
        try withWallet { wallet, client in
            let rows: [[String: Any]] = try wallet.outputs(using: client).map { _, u in
                [
                    "txid": u.txid, "index": u.index, "units": u.amount.units, "decimal": u.amount.decimal,
                    "height": u.height, "coinbase": u.coinbase, "spendable": u.spendable && !u.spentInMempool,
                ]
            }
            if node.json {
                try printJSON(rows)
            } else {
                for row in rows {
                    print(
                        "\(row["txid"]!):\(row["index"]!)  \(row["decimal"]!)  height \(row["height"]!)\((row["spendable"] as? Bool) == true ? "" : "  (not spendable yet)")"
                    )
                }
            }
        }
    }
}

struct WalletSendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "send", abstract: "Pay an address: selects coins, signs, submits, prints the txid.")
    @OptionGroup var options: WalletOptions
    @OptionGroup var node: NodeOptions
    @Option(name: .long, help: "The recipient's address.") var to: String
    @Option(name: .long, help: "The amount in KEEL, e.g. 1.5 (at most 8 decimals).") var amount: String
    @Option(name: .long, help: "The fee in KEEL.") var fee: String = "0.0001"

    func validate() throws {
        guard Amount(decimal: amount) != nil else { throw ValidationError("--amount must be a decimal like 1.5 with at most 8 decimals") }
        guard Amount(decimal: fee) != nil else { throw ValidationError("--fee must be a decimal like 0.0001 with at most 8 decimals") }
    }

    func run() throws {
        try walletReporting {
            var wallet = try options.open()
            let sent = try wallet.send(
                to: to, amount: Amount(decimal: amount)!, fee: Amount(decimal: fee)!,
                passphrase: try options.passphrase(), using: try node.client())
            if node.json {
                try printJSON(["txid": sent.txid, "inputs": sent.inputs, "change_units": sent.change.units])
            } else {
                print(sent.txid)
            }
        }
    }
}

struct WalletHistoryCommand: WalletReadCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Payments sent from this wallet and outputs it holds.")
    @OptionGroup var options: WalletOptions
    @OptionGroup var node: NodeOptions

    func run() throws {
        try withWallet { wallet, client in
            var sent = [[String: Any]]()
            for record in wallet.sent {
                let confirmations = Self.confirmations(of: record.txid, client: client)
                sent.append([
                    "txid": record.txid, "to": record.to, "amount": record.amount.decimalString, "fee": record.fee.decimalString,
                    "time": record.time, "confirmations": confirmations ?? -1,
                ])
            }
            let received = try wallet.outputs(using: client).filter { $0.utxo.spendable && !$0.utxo.spentInMempool }.map {
                ["txid": $0.utxo.txid, "index": $0.utxo.index, "amount": $0.utxo.amount.decimal, "height": $0.utxo.height] as [String: Any]
            }
            if node.json {
                try printJSON(["sent": sent, "holding": received])
            } else {
                for s in sent {
                    print(
                        "sent \(s["amount"]!) to \(s["to"]!) fee \(s["fee"]!)  \(s["txid"]!)  \((s["confirmations"] as? Int).map { $0 < 0 ? "unknown to the node" : "\($0) confirmations" } ?? "")"
                    )
                }
                for r in received { print("holding \(r["amount"]!) from \(r["txid"]!):\(r["index"]!) at height \(r["height"]!)") }
            }
        }
    }

    /// Confirmations the node reports for `txid`; nil (printed as -1) when it does not know
    /// the transaction or cannot be asked: the history is the wallet file's, and lists what
    /// was sent with the node stopped too.
    static func confirmations(of txid: String, client: NodeClient) -> Int? {
        do {
            let response = try client.raw("/v1/transactions/\(txid)")
            guard response.status == 200 else { return nil }
            let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            return object?["confirmations"] as? Int
        } catch {
            return nil
        }
    }
}
