import CRocksDB

#if canImport(Glibc)
    import Glibc
#endif

extension RocksDatabase {
    /// Options set through RocksDB's option string (c.h has no setters for them).
    /// - `writable_file_max_buffer_size`: a flush or compaction writes through a buffer of this
    ///   size (1 MiB by default), transient memory that showed as 0.5 MiB jumps of RSS.
    /// - `track_and_verify_wals_in_manifest`: the MANIFEST records each log's size, so a log
    ///   that is missing or cut short is refused instead of replayed with a hole in it.
    static let extraOptions = "writable_file_max_buffer_size=131072;track_and_verify_wals_in_manifest=true"

    /// The option objects and handles of one open database; frees what it made if the open fails.
    struct Opener {
        let options: OpaquePointer
        /// Options of the families whose lookups mostly miss (`ColumnFamily.filtersLookups`).
        let filteredOptions: OpaquePointer
        /// Options of the families whose memtable is a hash of skip lists (`ColumnFamily.hashedMemtable`).
        let hashedOptions: OpaquePointer
        let tableOptions: [OpaquePointer]
        let blockCache: OpaquePointer
        let readOptions: OpaquePointer
        let syncWrite: OpaquePointer
        let asyncWrite: OpaquePointer
        let handles: Handles

        init(path: String, readOnly: Bool, memory: StorageMemory, recovery: Recovery) throws {
            // Initialise only a directory with no data in it: RocksDB asked to create a database
            // where CURRENT is missing writes a new, empty one and deletes every table there.
            let create = !readOnly && !DatabaseFiles.hasCurrent(path)
            if create && DatabaseFiles.holdsData(path) {
                throw StorageError(
                    .corruption, "the database in \(path) is damaged: CURRENT is missing, though tables and logs are there",
                    cause: RocksDBStatus(text: "CURRENT is missing; tables and logs are there"), damage: StoreDamage(kind: .current, file: "CURRENT"))
            }
            let base = rocksdb_options_create()!
            defer { rocksdb_options_destroy(base) }
            rocksdb_options_set_create_if_missing(base, create ? 1 : 0)
            rocksdb_options_set_create_missing_column_families(base, readOnly ? 0 : 1)
            rocksdb_options_set_paranoid_checks(base, 1)
            // Mode 0 replays a torn last record (a crash mid-write) and refuses damage anywhere
            // else; mode 2 keeps the clean prefix before the first damage, silently, so it runs
            // only when the operator accepts the loss.
            rocksdb_options_set_wal_recovery_mode(
                base,
                recovery == .strict
                    ? Int32(rocksdb_tolerate_corrupted_tail_records_recovery) : Int32(rocksdb_point_in_time_recovery))
            // RocksDB's info LOG lives in the data directory; on a full disk, logging the error
            // there aborts the process (an assertion in Debian's build). FATAL only: nothing is
            // written until something is past saving.
            rocksdb_options_set_info_log_level(base, 4)
            rocksdb_options_set_keep_log_file_num(base, 2)
            rocksdb_options_set_max_open_files(base, 256)
            rocksdb_options_set_db_write_buffer_size(base, memory.memtableBudget)
            let writeBuffer = max(256 << 10, memory.memtableBudget / 4)
            rocksdb_options_set_write_buffer_size(base, writeBuffer)
            // The hashed memtables cannot take inserts from several threads at once, and RocksDB
            // refuses to open with them unless this is off. Writers still queue as before: the
            // leader of a group of concurrent writes inserts their batches one after another.
            // Keel's writes are one chain batch at a time plus small address-book ones, and a
            // lone writer's batch is inserted by its own thread either way.
            rocksdb_options_set_allow_concurrent_memtable_write(base, 0)
            let blockCache = rocksdb_cache_create_lru(memory.blockCacheBytes)!
            let tableOptions = rocksdb_block_based_options_create()!
            rocksdb_block_based_options_set_block_cache(tableOptions, blockCache)
            rocksdb_block_based_options_set_cache_index_and_filter_blocks(tableOptions, 1)
            // Level-0 files are read on every lookup; keeping their index and filter pinned stops
            // a scan from evicting them.
            rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(tableOptions, 1)
            rocksdb_options_set_block_based_table_factory(base, tableOptions)
            var optionsError: UnsafeMutablePointer<CChar>?
            let options = rocksdb_options_create()!
            rocksdb_get_options_from_string(base, RocksDatabase.extraOptions, options, &optionsError)
            if let optionsError {
                let status = RocksDBStatus(text: String(cString: optionsError))
                rocksdb_free(optionsError)
                rocksdb_options_destroy(options)
                rocksdb_block_based_options_destroy(tableOptions)
                rocksdb_cache_destroy(blockCache)
                throw StorageError(.open, "cannot set RocksDB's options", cause: status)
            }
            // A lookup that misses reads every level-0 table's index and a data block, and
            // searches the memtable's skip list, unless a bloom filter says the key is absent.
            // 10 bits a key (1% false positives) in the tables, cached (and bounded) with their
            // index; the memtable's filter takes 5% of its own budget.
            let filteredTable = rocksdb_block_based_options_create()!
            rocksdb_block_based_options_set_block_cache(filteredTable, blockCache)
            rocksdb_block_based_options_set_cache_index_and_filter_blocks(filteredTable, 1)
            rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache(filteredTable, 1)
            // The table options own the policy from here.
            rocksdb_block_based_options_set_filter_policy(filteredTable, rocksdb_filterpolicy_create_bloom_full(10))
            let filteredOptions = rocksdb_options_create_copy(options)!
            rocksdb_options_set_block_based_table_factory(filteredOptions, filteredTable)
            rocksdb_options_set_memtable_whole_key_filtering(filteredOptions, 1)
            rocksdb_options_set_memtable_prefix_bloom_size_ratio(filteredOptions, 0.05)
            // A block writes two keys of `utxo` and `tx_index` for each of its transactions, at
            // random places (they begin with a txid): in one skip list of a 16 MiB memtable each
            // insert was a search through cache misses, 15% of keel-bench commit's CPU. Hashed on
            // the txid, an insert or lookup goes to a bucket holding that transaction's keys. A
            // bucket's own skip list is 6 levels of 4, so a transaction with thousands of outputs
            // stays a search. A bucket costs about 120 bytes, the bucket array 8 a slot, both out of
            // the memtable's budget. An iterator over such a memtable (a flush, a full scan) sorts a
            // copy of its entries first: both are rare for these families.
            let hashedOptions = rocksdb_options_create_copy(options)!
            rocksdb_options_set_prefix_extractor(hashedOptions, rocksdb_slicetransform_create_fixed_prefix(ColumnFamily.hashedKeyPrefix))
            rocksdb_options_set_hash_skip_list_rep(hashedOptions, max(1 << 10, writeBuffer / 256), 6, 4)
            let readOptions = rocksdb_readoptions_create()!
            rocksdb_readoptions_set_verify_checksums(readOptions, 1)
            // With a prefix extractor, an iterator would otherwise stay within the prefix it was
            // first positioned in; the store's scans want key order across the whole family.
            rocksdb_readoptions_set_total_order_seek(readOptions, 1)
            let syncWrite = rocksdb_writeoptions_create()!
            rocksdb_writeoptions_set_sync(syncWrite, 1)
            let asyncWrite = rocksdb_writeoptions_create()!
            do {
                handles = try Opener.open(path: path, readOnly: readOnly, options: options) { family in
                    if family?.filtersLookups == true { return filteredOptions }
                    return family?.hashedMemtable == true ? hashedOptions : options
                }
            } catch {
                Opener.destroy(
                    options: [options, filteredOptions, hashedOptions], tables: [tableOptions, filteredTable], cache: blockCache,
                    read: readOptions, writes: [syncWrite, asyncWrite])
                throw error
            }
            (self.options, self.filteredOptions, self.hashedOptions) = (options, filteredOptions, hashedOptions)
            (self.tableOptions, self.blockCache, self.readOptions, self.syncWrite, self.asyncWrite) =
                ([tableOptions, filteredTable], blockCache, readOptions, syncWrite, asyncWrite)
        }

        private static func open(
            path: String, readOnly: Bool, options: OpaquePointer, optionsFor: (ColumnFamily?) -> OpaquePointer
        ) throws -> Handles {
            // Every existing family must be opened; unknown ones (from a newer build) stay opened
            // but unused so nothing in them is touched.
            var names = ["default"] + ColumnFamily.allCases.map(\.rawValue)
            var listError: UnsafeMutablePointer<CChar>?
            var count = 0
            if let list = rocksdb_list_column_families(options, path, &count, &listError) {
                var existing = [String]()
                for i in 0..<count {
                    if let cName = list[i] { existing.append(String(cString: cName)) }
                }
                rocksdb_list_column_families_destroy(list, count)
                // A read-only open cannot create a family a newer schema added: open what is
                // there, and let the schema check say what the database needs.
                if readOnly { names = names.filter(existing.contains) }
                for name in existing where !names.contains(name) { names.append(name) }
            } else if let listError {
                // A missing database is fine for a creating open; any other open reports below.
                rocksdb_free(listError)
            }
            var handles = [OpaquePointer?](repeating: nil, count: names.count)
            let familyOptions: [OpaquePointer?] = names.map { optionsFor(ColumnFamily(rawValue: $0)) }
            var openError: UnsafeMutablePointer<CChar>?
            let cNames = names.map { strdup($0) }
            defer { cNames.forEach { free($0) } }
            let constNames: [UnsafePointer<CChar>?] = cNames.map { UnsafePointer($0) }
            let db: OpaquePointer? = constNames.withUnsafeBufferPointer { namePointers in
                familyOptions.withUnsafeBufferPointer { opts in
                    handles.withUnsafeMutableBufferPointer { out in
                        if readOnly {
                            return rocksdb_open_for_read_only_column_families(
                                options, path, Int32(names.count), namePointers.baseAddress, opts.baseAddress,
                                out.baseAddress, 0, &openError)
                        }
                        return rocksdb_open_column_families(
                            options, path, Int32(names.count), namePointers.baseAddress, opts.baseAddress,
                            out.baseAddress, &openError)
                    }
                }
            }
            if let openError {
                let status = RocksDBStatus(text: String(cString: openError))
                rocksdb_free(openError)
                if let damage = StoreDamage.classify(status.text, path: path) {
                    throw StorageError(.corruption, "the database in \(path) is damaged: \(damage)", cause: status, damage: damage)
                }
                if status.text.contains("No space left") {
                    throw StorageError(.noSpace, "cannot open the database at \(path): its disk is full", cause: status)
                }
                throw StorageError(.open, "cannot open the database at \(path)", cause: status)
            }
            // The handles are indexed by `ordinal`: it must be each family's place in `allCases`.
            assert(ColumnFamily.allCases.enumerated().allSatisfy { $0.offset == $0.element.ordinal })
            var opened = Handles()
            opened.db = db
            for (i, name) in names.enumerated() {
                guard let handle = handles[i] else { continue }
                if let family = ColumnFamily(rawValue: name) { opened.families[family.ordinal] = handle } else { opened.extras.append(handle) }
            }
            return opened
        }

        /// Frees the option objects, once the database they served has closed.
        func destroyOptions() {
            Opener.destroy(
                options: [options, filteredOptions, hashedOptions], tables: tableOptions, cache: blockCache, read: readOptions, writes: [syncWrite, asyncWrite])
        }

        static func destroy(
            options: [OpaquePointer], tables: [OpaquePointer], cache: OpaquePointer,
            read: OpaquePointer, writes: [OpaquePointer]
        ) {
            options.forEach { rocksdb_options_destroy($0) }
            tables.forEach { rocksdb_block_based_options_destroy($0) }
            rocksdb_cache_destroy(cache)
            rocksdb_readoptions_destroy(read)
            writes.forEach { rocksdb_writeoptions_destroy($0) }
        }
    }

    /// Rebuilds a damaged MANIFEST or CURRENT from the tables and logs (RocksDB's repair). Never
    /// for table damage: repair moves a damaged table aside whole, with every value in it.
    public static func repair(path: String) throws {
        let options = rocksdb_options_create()!
        defer { rocksdb_options_destroy(options) }
        var error: UnsafeMutablePointer<CChar>?
        rocksdb_repair_db(options, path, &error)
        if let error { throw failure(error, "repair the database at \(path)") }
    }
}
