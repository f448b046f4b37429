import KeelCore

extension ChainStore {
    /// Opens the database under `directory`, or says what is damaged, how far the intact part
    /// reaches, and the ways out. With `.rollBackToIntactPrefix` a damaged log is cut back to its
    /// intact prefix, and a damaged MANIFEST or CURRENT is first rebuilt by RocksDB's repair.
    static func openDatabase(
        directory: String, readOnly: Bool, memory: StorageMemory,
        recovery: RocksDatabase.Recovery
    ) throws -> RocksDatabase {
        let path = directory + "/chain"
        do {
            return try RocksDatabase(path: path, readOnly: readOnly, memory: memory, recovery: recovery)
        } catch let error as StorageError where error.damage != nil {
            let damage = error.damage!
            if recovery == .rollBackToIntactPrefix, !readOnly, damage.kind == .manifest || damage.kind == .current {
                try RocksDatabase.repair(path: path)
                return try RocksDatabase(path: path, readOnly: readOnly, memory: memory, recovery: recovery)
            }
            throw damaged(error, damage: damage, directory: directory)
        }
    }

    /// The height a roll-back to the intact prefix would keep, read without changing anything;
    /// nil when even that cannot be opened (damage outside the log).
    public static func intactHeight(directory: String) -> UInt64? {
        do {
            let database = try RocksDatabase(
                path: directory + "/chain", readOnly: true, memory: .small, recovery: .rollBackToIntactPrefix)
            defer { database.close() }
            guard let bytes = try ChainStore.read(database, .meta, Keys.meta(.tipHeight)) else { return nil }
            var reader = ByteReader(bytes)
            return try reader.readBE() as UInt64
        } catch {
            // The refusal then names no height and offers the other ways out.
            return nil
        }
    }

    /// The refusal: which file, how far the intact part reaches, and what the operator can do.
    static func damaged(_ error: StorageError, damage: StoreDamage, directory: String) -> StorageError {
        // RocksDB's own text follows in `cause` (the description appends it).
        var lines = ["the database in \(directory)/chain is damaged: its \(damage). Nothing was changed; the node will not start on it."]
        let backup = "restore a backup (keel chain backup; runbook/backup-restore.md)"
        switch damage.kind {
        case .writeAheadLog:
            if let height = intactHeight(directory: directory) {
                lines.append("Its intact part reaches height \(height); writes after the damage in the log are unreadable.")
                lines.append("Ways out: \(backup); or start once with --accept-data-loss to keep height \(height) and sync the rest from peers.")
            } else {
                lines.append("Ways out: \(backup); or start once with --accept-data-loss to keep the intact part and sync the rest from peers.")
            }
        case .manifest, .current, .options:
            lines.append(
                "The tables themselves may be intact: start once with --accept-data-loss to rebuild the \(damage.kind.rawValue) from them (RocksDB's repair), or \(backup)."
            )
        case .table, .unknown:
            lines.append(
                "The intact height cannot be read past a damaged table, and RocksDB cannot drop one table without losing every value in it. Ways out: \(backup); or move \(directory)/chain aside (keep it) and sync from peers."
            )
        }
        return StorageError(.corruption, lines.joined(separator: " "), cause: error.cause, damage: damage)
    }
}

extension ChainStore {
    /// Reads every value of every column family with checksums verified: RocksDB has no other
    /// way (in its C API) to find a damaged table block before something needs it. Throws the
    /// first damage, naming the table file; returns the number of values read.
    @discardableResult
    public func verifyEveryValue() throws -> Int {
        var count = 0
        for family in ColumnFamily.allCases {
            try database.scanRaw(family) { _, _ in
                count += 1
                return true
            }
        }
        return count
    }
}
