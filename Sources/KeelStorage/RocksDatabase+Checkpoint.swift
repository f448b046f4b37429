import CRocksDB

extension RocksDatabase {
    /// A consistent copy of the database at `directory` (which must not exist), taken while
    /// writes go on: tables are hard-linked on the same filesystem and copied on another; the
    /// memtables are flushed first (`log_size_for_flush` 0), so little log is carried over.
    public func checkpoint(to directory: String) throws {
        guard !readOnly else { throw StorageError(.io, "a checkpoint needs the database open for writing (\(path) is open read-only)") }
        try lock.reading {
            guard let db = handles.db else { throw StorageError(.closed, "the database at \(path) is closed") }
            var error: UnsafeMutablePointer<CChar>?
            let checkpoint = rocksdb_checkpoint_object_create(db, &error)
            if let error { throw Self.failure(error, "start a checkpoint") }
            defer { rocksdb_checkpoint_object_destroy(checkpoint) }
            rocksdb_checkpoint_create(checkpoint, directory, 0, &error)
            if let error { throw Self.failure(error, "write a checkpoint to \(directory)") }
        }
    }
}
