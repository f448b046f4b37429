import CRocksDB
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A RocksDB database opened with every column family of the schema.
///
/// `@unchecked Sendable` is safe here: RocksDB's `rocksdb_t` and column family handles are
/// thread-safe for concurrent reads and writes (RocksDB's documented guarantee), the handle
/// pointers never change after `init`, and `close()` frees them exactly once under `state`'s
/// lock, after which every call sees `closed` and throws instead of touching freed memory.
public final class RocksDatabase: @unchecked Sendable {
    // `@unchecked Sendable`: plain C handles that are only read or freed inside `state`'s lock.
    private struct Handles: @unchecked Sendable {
        var db: OpaquePointer?
        var families: [ColumnFamily: OpaquePointer] = [:]
        var extras: [OpaquePointer] = []
    }

    private let state: Mutex<Handles>
    private let options: OpaquePointer
    private let tableOptions: OpaquePointer
    private let blockCache: OpaquePointer
    private let readOptions: OpaquePointer
    private let syncWrite: OpaquePointer
    private let asyncWrite: OpaquePointer
    /// The directory RocksDB lives in.
    public let path: String
    /// Whether the database was opened read-only.
    public let readOnly: Bool

    /// The block cache's capacity in bytes.
    public let blockCacheCapacity: Int

    /// Options set through RocksDB's option string (c.h has no setters for them).
    static let extraOptions = "writable_file_max_buffer_size=131072"

    /// Opens (or creates, unless `readOnly`) the database at `path`. `memory.memtableBudget`
    /// bounds what all memtables hold together (each family flushes at a quarter of it), so
    /// unflushed writes cannot grow RSS without limit; `memory.blockCacheBytes` bounds the one
    /// block cache every family shares, which also holds index and filter blocks: without it
    /// RocksDB keeps those outside any cache, and they grow with the database.
    public init(path: String, readOnly: Bool = false, memory: StorageMemory = .standard) throws {
        self.path = path
        self.readOnly = readOnly
        let base = rocksdb_options_create()!
        defer { rocksdb_options_destroy(base) }
        let options = base
        rocksdb_options_set_create_if_missing(options, readOnly ? 0 : 1)
        rocksdb_options_set_create_missing_column_families(options, readOnly ? 0 : 1)
        rocksdb_options_set_keep_log_file_num(options, 2)
        rocksdb_options_set_max_open_files(options, 256)
        rocksdb_options_set_db_write_buffer_size(options, memory.memtableBudget)
        rocksdb_options_set_write_buffer_size(options, max(256 << 10, memory.memtableBudget / 4))
        blockCacheCapacity = memory.blockCacheBytes
        blockCache = rocksdb_cache_create_lru(memory.blockCacheBytes)
        tableOptions = rocksdb_block_based_options_create()
        rocksdb_block_based_options_set_block_cache(tableOptions, blockCache)
        rocksdb_block_based_options_set_cache_index_and_filter_blocks(tableOptions, 1)
        // Level-0 files are read on every lookup; keeping their index and filter pinned stops
        // a scan from evicting them.
        rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(tableOptions, 1)
        rocksdb_options_set_block_based_table_factory(options, tableOptions)
        // Options c.h has no setter for. A flush or compaction writes its output through a
        // buffer of this size (1 MiB by default): transient memory that showed as 0.5 MiB jumps
        // of RSS in the memory soak.
        var optionsError: UnsafeMutablePointer<CChar>?
        let tuned = rocksdb_options_create()!
        rocksdb_get_options_from_string(base, RocksDatabase.extraOptions, tuned, &optionsError)
        if let optionsError {
            let status = RocksDBStatus(text: String(cString: optionsError))
            rocksdb_free(optionsError)
            rocksdb_options_destroy(tuned)
            rocksdb_block_based_options_destroy(tableOptions)
            rocksdb_cache_destroy(blockCache)
            throw StorageError(.open, "cannot set RocksDB's options", cause: status)
        }
        self.options = tuned
        readOptions = rocksdb_readoptions_create()
        rocksdb_readoptions_set_verify_checksums(readOptions, 1)
        syncWrite = rocksdb_writeoptions_create()
        rocksdb_writeoptions_set_sync(syncWrite, 1)
        asyncWrite = rocksdb_writeoptions_create()

        // Every existing family must be opened; unknown ones (from a newer build) stay opened
        // but unused so nothing in them is touched.
        var names = ["default"] + ColumnFamily.allCases.map(\.rawValue)
        var listError: UnsafeMutablePointer<CChar>?
        var count = 0
        if let list = rocksdb_list_column_families(tuned, path, &count, &listError) {
            var existing = [String]()
            for i in 0..<count {
                if let cName = list[i] { existing.append(String(cString: cName)) }
            }
            rocksdb_list_column_families_destroy(list, count)
            // A read-only open cannot create a family a newer schema added: open what is there,
            // and let the schema check say what the database needs.
            if readOnly { names = names.filter(existing.contains) }
            for name in existing where !names.contains(name) { names.append(name) }
        } else if let listError {
            // A missing database is fine for a read-write open (it is created below).
            rocksdb_free(listError)
        }

        var handles = [OpaquePointer?](repeating: nil, count: names.count)
        let familyOptions = [OpaquePointer?](repeating: tuned, count: names.count)
        var openError: UnsafeMutablePointer<CChar>?
        let cNames = names.map { strdup($0) }
        defer { cNames.forEach { free($0) } }
        let constNames: [UnsafePointer<CChar>?] = cNames.map { UnsafePointer($0) }
        let db: OpaquePointer? = constNames.withUnsafeBufferPointer { namePointers in
            familyOptions.withUnsafeBufferPointer { opts in
                handles.withUnsafeMutableBufferPointer { out in
                    if readOnly {
                        return rocksdb_open_for_read_only_column_families(
                            tuned, path, Int32(names.count), namePointers.baseAddress, opts.baseAddress,
                            out.baseAddress, 0, &openError)
                    }
                    return rocksdb_open_column_families(
                        tuned, path, Int32(names.count), namePointers.baseAddress, opts.baseAddress,
                        out.baseAddress, &openError)
                }
            }
        }
        if let openError {
            let status = RocksDBStatus(text: String(cString: openError))
            rocksdb_free(openError)
            Self.destroy(options: tuned, table: tableOptions, cache: blockCache, read: readOptions, writes: [syncWrite, asyncWrite])
            // `state` is not yet set, so deinit does not run and nothing is freed twice.
            throw StorageError(.open, "cannot open the database at \(path)", cause: status)
        }
        var opened = Handles()
        opened.db = db
        for (i, name) in names.enumerated() {
            guard let handle = handles[i] else { continue }
            if let family = ColumnFamily(rawValue: name) { opened.families[family] = handle } else { opened.extras.append(handle) }
        }
        state = Mutex(opened)
    }

    deinit { close() }

    /// Closes the database; later calls throw `closed`. Safe to call more than once.
    public func close() {
        let wasOpen = state.withLock { h -> Bool in
            guard let db = h.db else { return false }
            for handle in h.families.values { rocksdb_column_family_handle_destroy(handle) }
            for handle in h.extras { rocksdb_column_family_handle_destroy(handle) }
            rocksdb_close(db)
            h.db = nil
            h.families = [:]
            h.extras = []
            return true
        }
        if wasOpen { Self.destroy(options: options, table: tableOptions, cache: blockCache, read: readOptions, writes: [syncWrite, asyncWrite]) }
    }

    /// Frees the option objects, once: after the database closed, or when it failed to open.
    private static func destroy(options: OpaquePointer, table: OpaquePointer, cache: OpaquePointer,
                                read: OpaquePointer, writes: [OpaquePointer]) {
        rocksdb_options_destroy(options)
        rocksdb_block_based_options_destroy(table)
        rocksdb_cache_destroy(cache)
        rocksdb_readoptions_destroy(read)
        writes.forEach { rocksdb_writeoptions_destroy($0) }
    }

    /// Whether `close()` has run.
    public var isClosed: Bool { state.withLock { $0.db == nil } }

    private func handles(_ family: ColumnFamily) throws -> (OpaquePointer, OpaquePointer) {
        try state.withLock { h in
            guard let db = h.db else { throw StorageError(.closed, "the database at \(path) is closed") }
            guard let cf = h.families[family] else {
                throw StorageError(.open, "the database at \(path) has no column family \(family.rawValue) (written by an older Keel: open it once with keel-node to upgrade it)")
            }
            return (db, cf)
        }
    }

    /// The raw value at `key`, or nil.
    public func get(_ family: ColumnFamily, _ key: [UInt8]) throws -> [UInt8]? {
        let (db, cf) = try handles(family)
        var length = 0
        var error: UnsafeMutablePointer<CChar>?
        let value = key.withUnsafeBufferPointer { k in
            k.withMemoryRebound(to: CChar.self) { rocksdb_get_cf(db, readOptions, cf, $0.baseAddress, k.count, &length, &error) }
        }
        if let error { throw Self.failure(error, "read from \(family.rawValue)") }
        guard let value else { return nil }
        defer { rocksdb_free(value) }
        return Array(UnsafeRawBufferPointer(start: value, count: length))
    }

    /// Applies `batch` atomically; with `sync` the WAL is fsynced before returning.
    public func write(_ batch: WriteBatch, sync: Bool) throws {
        guard !readOnly else { throw StorageError(.io, "the database at \(path) is open read-only") }
        let (db, _) = try handles(.meta)
        let raw = rocksdb_writebatch_create()
        defer { rocksdb_writebatch_destroy(raw) }
        for op in batch.operations {
            let (_, cf) = try handles(op.family)
            op.key.withUnsafeBufferPointer { k in
                k.withMemoryRebound(to: CChar.self) { key in
                    switch op.kind {
                    case .put(let value):
                        value.withUnsafeBufferPointer { v in
                            v.withMemoryRebound(to: CChar.self) { rocksdb_writebatch_put_cf(raw, cf, key.baseAddress, key.count, $0.baseAddress, $0.count) }
                        }
                    case .delete:
                        rocksdb_writebatch_delete_cf(raw, cf, key.baseAddress, key.count)
                    case .deleteRange(let end):
                        end.withUnsafeBufferPointer { e in
                            e.withMemoryRebound(to: CChar.self) { rocksdb_writebatch_delete_range_cf(raw, cf, key.baseAddress, key.count, $0.baseAddress, $0.count) }
                        }
                    }
                }
            }
        }
        var error: UnsafeMutablePointer<CChar>?
        rocksdb_write(db, sync ? syncWrite : asyncWrite, raw, &error)
        if let error { throw Self.failure(error, "write a batch of \(batch.operations.count) changes") }
    }

    /// Calls `body` with each key and value whose key starts with `prefix` (all of them for an
    /// empty prefix), in key order, starting at `start` if given; stops when `body` returns false.
    public func scan(_ family: ColumnFamily, prefix: [UInt8] = [], from start: [UInt8]? = nil,
                     _ body: ([UInt8], [UInt8]) throws -> Bool) throws {
        try scanRaw(family, prefix: prefix, from: start) { key, value in try body(Array(key), Array(value)) }
    }

    /// `scan` without copies: the buffers are RocksDB's own and valid only during the call.
    public func scanRaw(_ family: ColumnFamily, prefix: [UInt8] = [], from start: [UInt8]? = nil,
                        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        let (db, cf) = try handles(family)
        let iterator = rocksdb_create_iterator_cf(db, readOptions, cf)
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

    /// Bytes held in the block cache (data, index and filter blocks), at most
    /// `blockCacheCapacity`; nil once closed.
    public var blockCacheUsage: Int? {
        state.withLock { h in h.db == nil ? nil : rocksdb_cache_get_usage(blockCache) }
    }

    /// An integer RocksDB property of a column family (e.g. `rocksdb.total-sst-files-size`).
    public func integerProperty(_ family: ColumnFamily, _ name: String) -> UInt64? {
        guard let (db, cf) = try? handles(family) else { return nil }
        var value: UInt64 = 0
        return rocksdb_property_int_cf(db, cf, name, &value) == 0 ? value : nil
    }

    private static func failure(_ error: UnsafeMutablePointer<CChar>, _ what: String) -> StorageError {
        let status = RocksDBStatus(text: String(cString: error))
        rocksdb_free(error)
        let code: StorageError.Code = status.code.hasPrefix("Corruption") ? .corruption : .io
        return StorageError(code, "could not \(what)", cause: status)
    }
}

/// Changes to apply atomically with `RocksDatabase.write`.
public struct WriteBatch: Sendable {
    enum Kind: Sendable {
        case put([UInt8])
        case delete
        case deleteRange(end: [UInt8])
    }

    struct Operation: Sendable {
        let family: ColumnFamily
        let key: [UInt8]
        let kind: Kind
    }

    private(set) var operations: [Operation] = []

    /// An empty batch.
    public init() {}

    /// Whether the batch has no changes.
    public var isEmpty: Bool { operations.isEmpty }

    /// Sets a raw value.
    public mutating func put(_ family: ColumnFamily, _ key: [UInt8], _ value: [UInt8]) {
        operations.append(Operation(family: family, key: key, kind: .put(value)))
    }

    /// Removes a key.
    public mutating func delete(_ family: ColumnFamily, _ key: [UInt8]) {
        operations.append(Operation(family: family, key: key, kind: .delete))
    }

    /// Removes every key in a column family (keys are at most 64 bytes long).
    public mutating func clear(_ family: ColumnFamily) {
        operations.append(Operation(family: family, key: [], kind: .deleteRange(end: [UInt8](repeating: 0xff, count: 65))))
    }
}
