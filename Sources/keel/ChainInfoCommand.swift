import ArgumentParser
import Foundation
import KeelChain
import KeelCore
import KeelStorage

struct ChainInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print the tip, height and UTXO set hash of a data directory.",
        discussion:
            "Read-only: works on a stopped or running node. Exit code 0 with the figures; 1 when there is no database, no chain yet, or it cannot be read.")

    @Option(name: .long, help: "The node's data directory.")
    var dataDir: String

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        try reporting { try show() }
    }

    private func show() throws {
        let store = try DataDirectory.openReadOnly(dataDir)
        defer { store.close() }
        guard let tip = try store.tip() else { throw CLIFailure(message: "\(dataDir) has no chain yet", exitCode: 1) }
        let utxo = try store.utxoSetHash()
        if json {
            let object: [String: Any] = [
                "network": store.network.name, "height": tip.height, "tip": tip.hash.hex,
                "utxo_hash": utxo.hash.hex, "utxo_count": utxo.count,
                "clean_shutdown": try store.wasCleanlyShutDown(),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("network    \(store.network.name)")
            print("height     \(tip.height)")
            print("tip        \(tip.hash)")
            print("utxo_hash  \(utxo.hash)")
            print("utxo_count \(utxo.count)")
        }
    }
}

struct ChainVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run the start-up check; --full also rebuilds the UTXO set from the blocks and compares.",
        discussion: "Exit code 0 only when everything agrees; 1 with the problem printed otherwise.")

    @Option(name: .long, help: "The node's data directory.")
    var dataDir: String

    @Flag(name: .long, help: "Check every block and rebuild the UTXO set from them.")
    var full = false

    func run() throws {
        let store: ChainStore
        do { store = try ChainStore(readOnlyDirectory: dataDir) } catch {
            FileHandle.standardError.write(Data("keel: verify failed: \(error)\n".utf8))
            throw ExitCode.failure
        }
        defer { store.close() }
        do {
            var check = StartupCheck()
            if full {
                // On a terminal a bar redrawn in place; in a log or a pipe a plain line every 5 s.
                let terminal = isatty(STDERR_FILENO) == 1
                check.progressInterval = terminal ? 0.2 : 5
                check.onProgress = { phase, report in
                    let text =
                        terminal ? "\r\(phase): \(report.bar()) \(report.line(unit: "blocks"))\u{1B}[K" : "keel: \(phase): \(report.line(unit: "blocks"))\n"
                    FileHandle.standardError.write(Data(text.utf8))
                    if terminal, report.done >= report.total { FileHandle.standardError.write(Data("\n".utf8)) }
                }
            }
            let report = try check.run(store: store, full: full)
            print("ok: height \(report.height), tip \(report.tip), \(report.blocksChecked) blocks checked, utxo_hash \(report.utxoHash?.hex ?? "-")")
        } catch {
            FileHandle.standardError.write(Data("keel: verify failed: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

/// Opens a data directory read-only; its network comes from the database.
enum DataDirectory {
    /// A missing or unreadable database is a failure of the command (exit 1), not bad usage.
    static func openReadOnly(_ path: String) throws -> ChainStore {
        do { return try ChainStore(readOnlyDirectory: path) } catch let error as StorageError {
            throw CLIFailure(message: error.message, exitCode: 1)
        }
    }
}
