import Hummingbird
import KeelStorage

/// `POST /v1/backup {"to": "/abs/dir"}`: an online backup of the store (a RocksDB checkpoint and
/// the miner key) into a new directory on the node's machine.
struct BackupBody: Decodable {
    let to: String
}

/// What a backup holds, read back from the copy.
struct BackupJSON: ResponseEncodable {
    let path: String
    let network: String
    let height: UInt64
    let tip: String
    let utxo_hash: String
    let miner_key: Bool

    init(_ backup: ChainStore.Backup) {
        (path, network, height, tip, utxo_hash, miner_key) =
            (backup.path, backup.network, backup.height, backup.tip, backup.utxoHash, backup.minerKey)
    }
}

extension Handlers {
    func backup(_ body: BackupBody) throws -> BackupJSON {
        guard body.to.hasPrefix("/"), body.to.count <= 4_096, !body.to.contains("\0") else {
            throw APIError.badRequest("bad_backup_path", "'to' must be an absolute path on the node's machine")
        }
        do {
            return BackupJSON(try backend.backup(to: body.to))
        } catch let error as StorageError where error.code == .open || error.code == .notFound {
            throw APIError(.conflict, "backup_target_unusable", error.message)
        } catch let error as StorageError {
            throw APIError(.internalServerError, "backup_failed", error.message)
        }
    }
}
