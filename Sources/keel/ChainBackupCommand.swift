import ArgumentParser
import Foundation
import KeelAPIModels
import KeelClient
import KeelStorage

struct ChainBackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up a node's store into a new directory, while the node runs or when it is stopped.",
        discussion: """
            Writes TO/chain (a consistent RocksDB checkpoint: tables hard-linked when TO is on the same \
            filesystem, copied otherwise), TO/miner.key (mode 0600) and TO/backup.json (the copy's height, \
            tip and UTXO hash). A running node makes the copy itself (through its API: DIR/api.url and \
            DIR/api.token); a stopped one is opened here. TO must not exist; its parent must.

            A backup on the node's own disk shares its fate: copy TO to another machine or disk \
            (tar, rsync). To restore, stop the node, move its data directory aside, copy the backup into \
            its place and start it: it syncs the blocks made since from its peers. See runbook/backup-restore.md.

            Exit codes: 0 written, 1 it could not be written (the reason is printed).
            """)

    @Option(name: .long, help: "The node's data directory.")
    var dataDir: String

    @Option(name: .long, help: "The new directory to write the backup into.")
    var to: String

    @Flag(name: .long, help: "Print JSON for scripts.")
    var json = false

    func run() throws {
        let target = URL(fileURLWithPath: to).standardizedFileURL.path
        let backup: API.Backup
        do {
            if let lock = try Self.lockIfStopped(dataDir) {
                // Stopped: open the store here (holding its lock while the copy is made).
                lock.release()
                let network = try ChainStore(readOnlyDirectory: dataDir).network
                let store = try ChainStore(directory: dataDir, network: network)
                defer { store.close() }
                let b = try store.backup(to: target)
                backup = API.Backup(path: b.path, network: b.network, height: b.height, tip: b.tip, utxoHash: b.utxoHash, minerKey: b.minerKey)
            } else {
                let client = NodeClient(endpoint: try NodeEndpoint.resolve(dataDirectory: dataDir, api: nil, tokenFile: nil))
                backup = try client.backup(to: target)
            }
        } catch {
            FileHandle.standardError.write(Data("keel: backup failed: \(error)\n".utf8))
            throw ExitCode.failure
        }
        if json {
            let data = try API.jsonEncoder().encode(backup)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(
                "backup written to \(backup.path): \(backup.network) height \(backup.height), tip \(backup.tip), utxo_hash \(backup.utxoHash)\(backup.minerKey ? ", miner.key copied (keep it private)" : "")"
            )
        }
    }

    /// The data directory's lock when no node holds it (nil when one does: the backup goes
    /// through its API); any other failure to take it is an error.
    static func lockIfStopped(_ dataDir: String) throws -> DataDirectoryLock? {
        do {
            return try DataDirectoryLock(directory: dataDir)
        } catch let error as StorageError where error.code == .locked {
            return nil
        }
    }
}
