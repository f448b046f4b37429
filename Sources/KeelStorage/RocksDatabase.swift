import CRocksDB

#if canImport(Glibc)
    import Glibc
#endif

/// A RocksDB database opened with every column family of the schema.
///
/// `@unchecked Sendable` is safe here: RocksDB's `rocksdb_t` and column family handles are
/// thread-safe for concurrent reads and writes (RocksDB's documented guarantee); `handles` is
/// only read with `lock` held shared, for the whole length of the C call that uses it, and
/// only changed by `close()` with `lock` held exclusively, so no call ever uses a freed handle.
public final class RocksDatabase: @unchecked Sendable {
    // `@unchecked Sendable`: plain C handles, guarded by `lock` as above.
    struct Handles: @unchecked Sendable {
        var db: OpaquePointer?
        /// Indexed by `ColumnFamily.ordinal`; nil for a family the database lacks.
        var families = [OpaquePointer?](repeating: nil, count: ColumnFamily.allCases.count)
        var extras: [OpaquePointer] = []
    }

    /// How an open treats a damaged write-ahead log.
    public enum Recovery: Sendable {
        /// Recover a torn last record (a crash mid-write: that write was never acknowledged) and
        /// refuse anything else: damage before the end, or a log missing or cut short.
        case strict
        /// Keep the intact prefix of the log and drop everything after the first damaged record,
        /// consistently in every column family. Only on the operator's explicit word.
        case rollBackToIntactPrefix
    }

    let lock = HandleLock()
    var handles: Handles
    /// The option objects the open made: freed once, when the database closes.
    let opened: Opener
    /// The directory RocksDB lives in.
    public let path: String
    /// Whether the database was opened read-only.
    public let readOnly: Bool
    /// The block cache's capacity in bytes.
    public let blockCacheCapacity: Int

    /// Opens (or, unless `readOnly`, creates in an empty directory) the database at `path`.
    /// `memory.memtableBudget` bounds what all memtables hold together (each family flushes at a
    /// quarter of it), so unflushed writes cannot grow RSS without limit; `memory.blockCacheBytes`
    /// bounds the one block cache every family shares, which also holds index and filter blocks.
    /// Damage to RocksDB's files throws `corruption` with `damage` saying which file.
    public init(path: String, readOnly: Bool = false, memory: StorageMemory = .standard, recovery: Recovery = .strict) throws {
        self.path = path
        self.readOnly = readOnly
        opened = try Opener(path: path, readOnly: readOnly, memory: memory, recovery: recovery)
        blockCacheCapacity = memory.blockCacheBytes
        handles = opened.handles
    }

    deinit { close() }

    /// Flushes every column family's memtable to its tables (unless read-only), then closes;
    /// later calls throw `closed`. After a flush the write-ahead log holds nothing, so damage to
    /// it cannot cost anything committed (RocksDB's close alone does not flush). Returns the
    /// flush's error, if it failed (the log still holds the writes then). Safe to call twice.
    @discardableResult
    public func close() -> StorageError? {
        var flushError: StorageError?
        let wasOpen = lock.writing { () -> Bool in
            guard let db = handles.db else { return false }
            if !readOnly {
                let flush = rocksdb_flushoptions_create()
                rocksdb_flushoptions_set_wait(flush, 1)
                for cf in handles.families.compactMap({ $0 }) where flushError == nil {
                    var error: UnsafeMutablePointer<CChar>?
                    rocksdb_flush_cf(db, flush, cf, &error)
                    if let error { flushError = Self.failure(error, "flush before closing") }
                }
                rocksdb_flushoptions_destroy(flush)
            }
            for handle in handles.families.compactMap({ $0 }) { rocksdb_column_family_handle_destroy(handle) }
            for handle in handles.extras { rocksdb_column_family_handle_destroy(handle) }
            rocksdb_close(db)
            handles = Handles()
            return true
        }
        if wasOpen { opened.destroyOptions() }
        return flushError
    }

    /// Whether `close()` has run.
    public var isClosed: Bool { lock.reading { handles.db == nil } }

    /// Runs `body` with the database and `family`'s handle, holding them open for its length.
    private func using<T>(_ family: ColumnFamily, _ body: (OpaquePointer, OpaquePointer) throws -> T) throws -> T {
        Self.countNothing()
        return try lock.reading {
            guard let db = handles.db else { throw StorageError(.closed, "the database at \(path) is closed") }
            guard let cf = handles.families[family.ordinal] else {
                throw StorageError(
                    .open,
                    "the database at \(path) has no column family \(family.rawValue) (written by an older Keel: open it once with keel-node to upgrade it)")
            }
            return try body(db, cf)
        }
    }

    /// The raw value at `key`, or nil.
    public func get(_ family: ColumnFamily, _ key: [UInt8]) throws -> [UInt8]? {
        Self.checkLength(key.count, family)
        return try using(family) { db, cf in
            var length = 0
            var error: UnsafeMutablePointer<CChar>?
            let value = key.withUnsafeBufferPointer { k in
                k.withMemoryRebound(to: CChar.self) { rocksdb_get_cf(db, opened.readOptions, cf, $0.baseAddress, k.count, &length, &error) }
            }
            if let error { throw Self.failure(error, "read from \(family.rawValue)") }
            guard let value else { return nil }
            defer { rocksdb_free(value) }
            return Array(UnsafeRawBufferPointer(start: value, count: length))
        }
    }

    /// The raw values at `keys` (nil where absent), read in one call: RocksDB looks the keys up
    /// together, sharing the work of finding their blocks, where one `get` each would not.
    public func multiGet(_ family: ColumnFamily, _ keys: [[UInt8]]) throws -> [[UInt8]?] {
        guard !keys.isEmpty else { return [] }
        return try using(family) { db, cf in
            let count = keys.count
            // Every key stays alive (and its buffer pinned) for the call: one contiguous copy.
            let flat = keys.flatMap { $0 }
            var offsets = [Int](), sizes = [Int]()
            var at = 0
            for key in keys {
                Self.checkLength(key.count, family)
                offsets.append(at)
                sizes.append(key.count)
                at += key.count
            }
            var values = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            var valueSizes = [Int](repeating: 0, count: count)
            var errors = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            let families = [OpaquePointer?](repeating: cf, count: count)
            flat.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { base in
                    let keyPointers: [UnsafePointer<CChar>?] = offsets.map { UnsafePointer(base.baseAddress!) + $0 }
                    rocksdb_multi_get_cf(db, opened.readOptions, families, count, keyPointers, sizes, &values, &valueSizes, &errors)
                }
            }
            defer {
                for value in values { rocksdb_free(value) }
                for error in errors { rocksdb_free(error) }
            }
            if let error = errors.first(where: { $0 != nil }) ?? nil {
                throw Self.failure(RocksDBStatus(text: String(cString: error)), "read from \(family.rawValue)")
            }
            return (0..<count).map { i in values[i].map { Array(UnsafeRawBufferPointer(start: $0, count: valueSizes[i])) } }
        }
    }

    /// Stops on a key too short for its family's hashed memtable, which RocksDB would read past
    /// (`ColumnFamily.hashedMemtable`): every such key the store makes begins with a txid.
    @inline(__always)
    static func checkLength(_ length: Int, _ family: ColumnFamily) {
        precondition(!family.hashedMemtable || length >= ColumnFamily.hashedKeyPrefix, "a key of \(length) bytes in \(family.rawValue)")
    }

    /// Applies `batch` atomically; with `sync` the WAL is fsynced before returning.
    public func write(_ batch: WriteBatch, sync: Bool) throws {
        guard !readOnly else { throw StorageError(.io, "the database at \(path) is open read-only") }
        Self.countNothing()
        try lock.reading {
            guard let db = handles.db else { throw StorageError(.closed, "the database at \(path) is closed") }
            let raw = rocksdb_writebatch_create()
            defer { rocksdb_writebatch_destroy(raw) }
            for op in batch.operations {
                guard let cf = handles.families[op.family.ordinal] else {
                    throw StorageError(.open, "the database at \(path) has no column family \(op.family.rawValue)")
                }
                op.key.withUnsafeBufferPointer { k in
                    k.withMemoryRebound(to: CChar.self) { key in
                        switch op.kind {
                        case .put(let value):
                            Self.checkLength(key.count, op.family)
                            value.withUnsafeBufferPointer { v in
                                v.withMemoryRebound(to: CChar.self) { rocksdb_writebatch_put_cf(raw, cf, key.baseAddress, key.count, $0.baseAddress, $0.count) }
                            }
                        case .delete:
                            Self.checkLength(key.count, op.family)
                            rocksdb_writebatch_delete_cf(raw, cf, key.baseAddress, key.count)
                        case .deleteRange(let end):
                            end.withUnsafeBufferPointer { e in
                                e.withMemoryRebound(to: CChar.self) {
                                    rocksdb_writebatch_delete_range_cf(raw, cf, key.baseAddress, key.count, $0.baseAddress, $0.count)
                                }
                            }
                        }
                    }
                }
            }
            var error: UnsafeMutablePointer<CChar>?
            rocksdb_write(db, sync ? opened.syncWrite : opened.asyncWrite, raw, &error)
            if let error { throw Self.failure(error, "write a batch of \(batch.operations.count) changes") }
        }
    }

    /// Calls `body` with each key and value whose key starts with `prefix` (all of them for an
    /// empty prefix), in key order, starting at `start` if given; stops when `body` returns false.
    public func scan(
        _ family: ColumnFamily, prefix: [UInt8] = [], from start: [UInt8]? = nil,
        _ body: ([UInt8], [UInt8]) throws -> Bool
    ) throws {
        try scanRaw(family, prefix: prefix, from: start) { key, value in try body(Array(key), Array(value)) }
    }

    /// `scan` without copies: the buffers are RocksDB's own and valid only during the call.
    public func scanRaw(
        _ family: ColumnFamily, prefix: [UInt8] = [], from start: [UInt8]? = nil,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try using(family) { db, cf in
            let iterator = rocksdb_create_iterator_cf(db, opened.readOptions, cf)
            defer { rocksdb_iter_destroy(iterator) }
            let seekKey = start ?? prefix
            seekKey.withUnsafeBufferPointer { k in
                k.withMemoryRebound(to: CChar.self) { rocksdb_iter_seek(iterator, $0.baseAddress, $0.count) }
            }
            while rocksdb_iter_valid(iterator) != 0 {
                var keyLength = 0, valueLength = 0
                let key = UnsafeRawBufferPointer(start: rocksdb_iter_key(iterator, &keyLength), count: keyLength)
                guard key.starts(with: prefix) else { break }
                let value = UnsafeRawBufferPointer(start: rocksdb_iter_value(iterator, &valueLength), count: valueLength)
                guard try body(key, value) else { break }
                rocksdb_iter_next(iterator)
            }
            var error: UnsafeMutablePointer<CChar>?
            rocksdb_iter_get_error(iterator, &error)
            if let error { throw Self.failure(error, "scan \(family.rawValue)") }
        }
    }

    /// Bytes held in the block cache (data, index and filter blocks), at most
    /// `blockCacheCapacity`; nil once closed.
    public var blockCacheUsage: Int? {
        lock.reading { handles.db == nil ? nil : rocksdb_cache_get_usage(opened.blockCache) }
    }

    /// An integer RocksDB property of a column family (e.g. `rocksdb.total-sst-files-size`).
    public func integerProperty(_ family: ColumnFamily, _ name: String) -> UInt64? {
        do {
            return try using(family) { db, cf in
                var value: UInt64 = 0
                return rocksdb_property_int_cf(db, cf, name, &value) == 0 ? value : nil
            }
        } catch {
            return nil  // closed: there is nothing to report
        }
    }

    /// The latest sequence number (one per change written): how far the store's history reaches.
    public var latestSequence: UInt64? {
        lock.reading { handles.db.map { rocksdb_get_latest_sequence_number($0) } }
    }

    /// Turns off RocksDB's per-thread perf context for the calling thread. It counts by default
    /// (`kEnableCount`), so every key comparison of a memtable insert or lookup reaches a
    /// thread-local struct of a shared library (a `__tls_get_addr` call and its init check
    /// each: 3-4% of `keel-bench commit`'s CPU, most of it in the group's write). Nothing reads them;
    /// the level is per thread, and setting it is one thread-local store, so each call sets it.
    static func countNothing() {
        rocksdb_set_perf_level(Int32(rocksdb_disable))
    }

    static func failure(_ error: UnsafeMutablePointer<CChar>, _ what: String) -> StorageError {
        let status = RocksDBStatus(text: String(cString: error))
        rocksdb_free(error)
        return failure(status, what)
    }

    /// The error for a RocksDB status: corruption, a full disk, or I/O.
    static func failure(_ status: RocksDBStatus, _ what: String) -> StorageError {
        let code: StorageError.Code =
            status.code.hasPrefix("Corruption")
            ? .corruption
            : status.text.contains("No space left") ? .noSpace : .io
        return StorageError(code, "could not \(what)", cause: status)
    }
}
