import Foundation
import KeelCore
import KeelFiles

extension ChainStore {
    /// What a backup holds: read back from the copy itself, not from the live store.
    public struct Backup: Sendable, Codable, Equatable {
        /// Where it was written.
        public let path: String
        /// The network of the copied store.
        public let network: String
        /// Its tip height.
        public let height: UInt64
        /// Its tip hash (hex).
        public let tip: String
        /// Its UTXO set's hash (hex), as `keel chain info` reports it.
        public let utxoHash: String
        /// Whether the miner's key was copied beside it.
        public let minerKey: Bool

        /// As `keel chain info --json` and the API spell them.
        enum CodingKeys: String, CodingKey {
            case path, network, height, tip
            case utxoHash = "utxo_hash"
            case minerKey = "miner_key"
        }
    }

    /// Writes a backup of this store to `directory` (which must not exist; its parent must) while
    /// the node runs: `chain/` is a RocksDB checkpoint, `miner.key` (mode 0600) is copied, and
    /// `backup.json` records the copy's tip and UTXO hash. The result is a data directory: restore
    /// by copying it into place with the node stopped. Throws without leaving a partial backup
    /// behind where it can.
    public func backup(to directory: String) throws -> Backup {
        let target = URL(fileURLWithPath: directory).standardizedFileURL.path
        guard !FileManager.default.fileExists(atPath: target) else {
            throw StorageError(.open, "\(target) already exists; a backup goes to a new directory")
        }
        let parent = (target as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StorageError(.notFound, "\(parent) does not exist; create it first")
        }
        do {
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            try database.checkpoint(to: target + "/chain")
            let key = self.directory + "/miner.key"
            let hasKey = FileManager.default.fileExists(atPath: key)
            if hasKey {
                try AtomicFile.write(try Data(contentsOf: URL(fileURLWithPath: key)), to: target + "/miner.key", mode: 0o600)
            }
            let copy = try ChainStore(readOnlyDirectory: target)
            defer { copy.close() }
            let tip = try copy.tip()
            let utxo = try copy.utxoSetHash()
            let backup = Backup(
                path: target, network: copy.network.name, height: tip?.height ?? 0, tip: tip?.hash.hex ?? Hash256.zero.hex,
                utxoHash: utxo.hash.hex, minerKey: hasKey)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(try encoder.encode(backup), to: target + "/backup.json", mode: 0o600)
            return backup
        } catch {
            do {
                try FileManager.default.removeItem(atPath: target)
            } catch {
                // Nothing was written yet, or the partial copy cannot go: the error below names
                // the target either way.
            }
            if let storage = error as? StorageError { throw storage }
            throw StorageError(.io, "cannot write the backup to \(target)", cause: error)
        }
    }
}
