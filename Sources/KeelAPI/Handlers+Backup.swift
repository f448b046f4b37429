import Hummingbird
import KeelAPIModels
import KeelStorage

extension Handlers {
    /// `POST /v1/backup`: an online backup of the store (a RocksDB checkpoint and the miner key)
    /// into a new directory on the node's machine.
    func backup(_ body: API.BackupBody) throws -> API.Backup {
        guard body.to.hasPrefix("/"), body.to.count <= 4_096, !body.to.contains("\0") else {
            throw APIError.badRequest("bad_backup_path", "'to' must be an absolute path on the node's machine")
        }
        do {
            return API.Backup(try backend.backup(to: body.to))
        } catch let error as StorageError where error.code == .open || error.code == .notFound {
            throw APIError(.conflict, "backup_target_unusable", error.message)
        } catch let error as StorageError {
            throw APIError(.internalServerError, "backup_failed", error.message)
        }
    }
}
