import KeelCore

#if canImport(Glibc)
    import Glibc
#endif

/// The node's database: one RocksDB under `DATA_DIR/chain`, guarded by the data-directory
/// lock, with typed and checksummed access to every column family of `ColumnFamily`.
public final class ChainStore: Sendable {
    /// The data directory.
    public let directory: String
    /// The underlying database.
    public let database: RocksDatabase
    /// The network this directory belongs to.
    public let network: Network
    private let lock: DataDirectoryLock?
    /// Closed while writes fail (disk full, I/O errors); every write goes through it.
    public let writeGate = WriteGate()
    /// Reports how long each write takes.
    public let writeTimer = WriteTimer()
    let dropped = DroppedRecords()

    /// Opens the store in `directory` for `network`, creating it when missing (unless
    /// `readOnly`). A read-write open takes the directory lock; a read-only open does not, so
    /// tools can inspect a stopped (or running) node's directory. `memory` defaults to the
    /// network's setting (`StorageMemory.for`).
    /// `recovery` is `.strict` unless the operator accepts losing what a damaged log holds.
    public convenience init(
        directory: String, network: Network, readOnly: Bool = false, memory: StorageMemory? = nil,
        recovery: RocksDatabase.Recovery = .strict
    ) throws {
        try self.init(directory: directory, expected: network, readOnly: readOnly, memory: memory ?? .for(network), recovery: recovery)
    }

    /// Opens an existing directory read-only, for whichever network its database belongs to.
    public convenience init(readOnlyDirectory directory: String) throws {
        try self.init(directory: directory, expected: nil, readOnly: true, memory: .small, recovery: .strict)
    }

    private init(directory: String, expected: Network?, readOnly: Bool, memory: StorageMemory, recovery: RocksDatabase.Recovery) throws {
        self.directory = directory
        let held: DataDirectoryLock?
        if readOnly {
            guard access(directory + "/chain/CURRENT", F_OK) == 0 else {
                if DatabaseFiles.holdsData(directory + "/chain") {
                    let damage = StoreDamage(kind: .current, file: "CURRENT")
                    throw ChainStore.damaged(
                        StorageError(.corruption, "CURRENT is missing", cause: RocksDBStatus(text: "CURRENT is missing"), damage: damage),
                        damage: damage, directory: directory)
                }
                throw StorageError(.notFound, "no Keel database in \(directory) (expected \(directory)/chain)")
            }
            held = nil
        } else {
            if mkdir(directory, 0o700) != 0 && errno != EEXIST {
                throw StorageError(.open, "cannot create the data directory \(directory)", cause: SystemError(call: "mkdir", errno: errno))
            }
            held = try DataDirectoryLock(directory: directory)
        }
        lock = held
        let database: RocksDatabase
        do {
            database = try ChainStore.openDatabase(directory: directory, readOnly: readOnly, memory: memory, recovery: recovery)
        } catch {
            held?.release()
            throw error
        }
        self.database = database
        let stored = try ChainStore.read(database, .meta, Keys.meta(.network)).map { String(decoding: $0, as: UTF8.self) }
        switch (stored, expected) {
        case (let name?, let wanted?) where name != wanted.name:
            database.close()
            throw StorageError(.open, "\(directory) holds a \(name) network database, not \(wanted.name)")
        case (let name?, _):
            guard let known = Network.named(name) else {
                database.close()
                throw StorageError(.open, "\(directory) holds a database for an unknown network '\(name)'")
            }
            network = known
        case (nil, let wanted?):
            network = wanted
        case (nil, nil):
            database.close()
            throw StorageError(.notFound, "\(directory) is not a Keel data directory (no network recorded)")
        }
        try checkIdentity(readOnly: readOnly, stored: stored != nil)
    }

    private func checkIdentity(readOnly: Bool, stored: Bool) throws {
        if !stored && !readOnly {
            var batch = WriteBatch()
            batch.putSealed(.meta, Keys.meta(.network), Array(network.name.utf8))
            var version = ByteWriter()
            version.writeBE(schemaVersion)
            batch.putSealed(.meta, Keys.meta(.schemaVersion), version.bytes)
            try database.write(batch, sync: true)
        }
        if let stored = try read(.meta, Keys.meta(.schemaVersion)) {
            var reader = ByteReader(stored)
            let version: UInt32 = try reader.readBE()
            if version == 1, schemaVersion == 2 {
                guard !readOnly else {
                    database.close()
                    throw StorageError(.open, "\(directory) has schema version 1; start keel-node on it once to upgrade it to version 2")
                }
                try upgradeFromVersion1()
            } else if version != schemaVersion {
                database.close()
                throw StorageError(.open, "\(directory) has schema version \(version); this build reads version \(schemaVersion)")
            }
        }
    }

    /// Version 1 to 2: index every stored header by height and record the next header
    /// sequence. One pass over `headers`, once; the version moves in the same synced batch.
    private func upgradeFromVersion1() throws {
        var batch = WriteBatch()
        var next: UInt64 = 0
        try scan(.headers) { key, payload in
            guard let hash = Hash256(bytes: key) else { return true }
            let record = try HeaderRecord(decoding: payload)
            batch.putSealed(.headerHeights, Keys.headerHeight(record.header.height, hash), [])
            next = max(next, record.sequence + 1)
            return true
        }
        batch.setHeaderSequence(next)
        var version = ByteWriter()
        version.writeBE(schemaVersion)
        batch.putSealed(.meta, Keys.meta(.schemaVersion), version.bytes)
        try database.write(batch, sync: true)
    }

    /// Closes the database and releases the lock. Safe to call twice.
    public func close() {
        database.close()
        lock?.release()
    }

    // MARK: - Sealed values

    /// The payload at `key`, checksum verified; nil when absent.
    public func read(_ family: ColumnFamily, _ key: [UInt8]) throws -> [UInt8]? {
        try ChainStore.read(database, family, key)
    }

    static func read(_ database: RocksDatabase, _ family: ColumnFamily, _ key: [UInt8]) throws -> [UInt8]? {
        try open(family, key, database.get(family, key))
    }

    /// The payload of a stored value, its checksum verified (nil for no value).
    static func open(_ family: ColumnFamily, _ key: [UInt8], _ raw: [UInt8]?) throws -> [UInt8]? {
        guard let raw else { return nil }
        guard let payload = Checksum.open(key: key, value: raw) else {
            throw StorageError(.corruption, "checksum mismatch in \(family.rawValue) at key \(Hex.encode(key))")
        }
        return payload
    }

    /// The decoded value at `key`; a value that fails its checksum or does not decode is a
    /// `corruption` error naming the column family and key.
    public func read<T: CanonicalCodable>(_ family: ColumnFamily, _ key: [UInt8], as type: T.Type) throws -> T? {
        try ChainStore.decode(family, key, try read(family, key), as: type)
    }

    /// `payload` decoded as `T`; one that does not decode is a `corruption` error naming where.
    static func decode<T: CanonicalCodable>(_ family: ColumnFamily, _ key: [UInt8], _ payload: [UInt8]?, as type: T.Type) throws -> T? {
        guard let payload else { return nil }
        do { return try T(decoding: payload) } catch {
            throw StorageError(.corruption, "undecodable value in \(family.rawValue) at key \(Hex.encode(key))", cause: error as? DecodingError)
        }
    }

    /// Calls `body` with each verified key and payload under `prefix`.
    public func scan(
        _ family: ColumnFamily, prefix: [UInt8] = [], from start: [UInt8]? = nil,
        _ body: ([UInt8], [UInt8]) throws -> Bool
    ) throws {
        try database.scan(family, prefix: prefix, from: start) { key, raw in
            guard let payload = Checksum.open(key: key, value: raw) else {
                throw StorageError(.corruption, "checksum mismatch in \(family.rawValue) at key \(Hex.encode(key))")
            }
            return try body(key, payload)
        }
    }

    /// Applies `batch` atomically (fsynced when `sync`).
    public func write(_ batch: WriteBatch, sync: Bool) throws {
        try writeGate.check()
        do {
            let start = MonotonicTime.now()
            try database.write(batch, sync: sync)
            writeTimer.record(Double(MonotonicTime.now() &- start) / 1e9, sync: sync)
        } catch let error as StorageError where error.code == .io || error.code == .noSpace || error.code == .corruption {
            writeGate.record(error)
            throw error
        }
    }

    /// One synced write straight to RocksDB, past the gate: whether writes work again.
    public func probeWrite() throws {
        var batch = WriteBatch()
        batch.putSealed(.meta, Keys.meta(.cleanShutdown), [0])
        try database.write(batch, sync: true)
    }

    // MARK: - Typed reads

    /// The stored header record of `hash`.
    public func header(_ hash: Hash256) throws -> HeaderRecord? { try read(.headers, hash.bytes, as: HeaderRecord.self) }
    /// The stored block body of `hash`.
    public func block(_ hash: Hash256) throws -> Block? { try read(.blocks, hash.bytes, as: Block.self) }
    /// The undo record of `hash`.
    public func undo(_ hash: Hash256) throws -> UndoRecord? { try read(.undo, hash.bytes, as: UndoRecord.self) }
    /// The unspent output at `outpoint`.
    public func utxo(_ outpoint: OutPoint) throws -> UTXOEntry? { try read(.utxo, outpoint.encoded, as: UTXOEntry.self) }
    /// The unspent outputs at `outpoints` (nil where spent or unknown), read in one MultiGet:
    /// a block's inputs looked up together.
    public func utxos(_ outpoints: [OutPoint]) throws -> [UTXOEntry?] {
        let keys = outpoints.map(\.encoded)
        return try zip(keys, database.multiGet(.utxo, keys)).map { key, raw in
            try ChainStore.decode(.utxo, key, ChainStore.open(.utxo, key, raw), as: UTXOEntry.self)
        }
    }
    /// Where `txid` is confirmed.
    public func txLocation(_ txid: Hash256) throws -> TxLocation? { try read(.txIndex, txid.bytes, as: TxLocation.self) }

    /// The active-chain block hash at `height`.
    public func hash(atHeight height: UInt64) throws -> Hash256? {
        try read(.heightIndex, Keys.height(height), as: Hash256.self)
    }

    /// Up to `limit` active-chain block hashes from `height` up, in order, read in one range
    /// scan of `height_index` (a `getheaders` answer read each with its own lookup before).
    public func hashes(fromHeight height: UInt64, limit: Int) throws -> [Hash256] {
        var hashes = [Hash256]()
        guard limit > 0 else { return hashes }
        hashes.reserveCapacity(limit)
        try scan(.heightIndex, from: Keys.height(height)) { key, payload in
            let expected = height + UInt64(hashes.count)
            // The active chain has no gaps: a missing height is where it ends.
            guard key == Keys.height(expected) else { return false }
            guard let hash = try ChainStore.decode(.heightIndex, key, payload, as: Hash256.self) else { return false }
            hashes.append(hash)
            return hashes.count < limit
        }
        return hashes
    }

    /// The stored header records of `hashes` (nil where unknown), read in one MultiGet.
    public func headers(_ hashes: [Hash256]) throws -> [HeaderRecord?] {
        let keys = hashes.map(\.bytes)
        return try zip(keys, database.multiGet(.headers, keys)).map { key, raw in
            try ChainStore.decode(.headers, key, ChainStore.open(.headers, key, raw), as: HeaderRecord.self)
        }
    }

    /// The active tip, or nil for a new database.
    public func tip() throws -> (hash: Hash256, height: UInt64)? {
        guard let hash = try read(.meta, Keys.meta(.tipHash), as: Hash256.self),
            let heightBytes = try read(.meta, Keys.meta(.tipHeight))
        else { return nil }
        var reader = ByteReader(heightBytes)
        return (hash, try reader.readBE())
    }

    /// Whether a reindex began and did not finish (the node was stopped or killed during it).
    public func reindexInterrupted() throws -> Bool { try read(.meta, Keys.meta(.reindexing)) == [1] }

    /// Whether the last session closed cleanly.
    public func wasCleanlyShutDown() throws -> Bool { try read(.meta, Keys.meta(.cleanShutdown)) == [1] }

    /// Records whether the store is open (0) or was closed cleanly (1).
    public func setCleanShutdown(_ clean: Bool) throws {
        var batch = WriteBatch()
        batch.putSealed(.meta, Keys.meta(.cleanShutdown), [clean ? 1 : 0])
        try write(batch, sync: true)
    }

    /// Hashes of every stored header at `height` or above, on any branch, lowest first.
    public func headerHashes(fromHeight height: UInt64) throws -> [Hash256] {
        try headerEntries(fromHeight: height).map(\.hash)
    }

    /// Every stored header at `height` or above, on any branch, with its height, lowest first.
    public func headerEntries(fromHeight height: UInt64) throws -> [(height: UInt64, hash: Hash256)] {
        var entries = [(height: UInt64, hash: Hash256)]()
        try scan(.headerHeights, from: Keys.height(height)) { key, _ in
            guard key.count == 40, let hash = Hash256(bytes: Array(key[8...])) else {
                throw StorageError(.corruption, "malformed header_heights key \(Hex.encode(key))")
            }
            entries.append((key[0..<8].reduce(0) { $0 << 8 | UInt64($1) }, hash))
            return true
        }
        return entries
    }

    /// The height below which dead side branches are pruned (0: none yet).
    public func prunedHeight() throws -> UInt64 {
        guard let bytes = try read(.meta, Keys.meta(.prunedHeight)), bytes.count == 8 else { return 0 }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The first-seen sequence the next new header gets (0 for a new database).
    public func headerSequence() throws -> UInt64 {
        guard let bytes = try read(.meta, Keys.meta(.headerSequence)) else { return 0 }
        var reader = ByteReader(bytes)
        return try reader.readBE()
    }

    /// The stored address book and bans. The address book is a cache of hints: a record that
    /// fails its checksum or does not decode is skipped, deleted and counted (`droppedRecords`),
    /// never a reason to refuse start-up.
    public func peerRecords() throws -> (peers: [PeerRecord], bans: [BanRecord]) {
        let peers = try scanDisposable(.peers, prefix: Array("a/".utf8)) { try PeerRecord(decoding: $0) }
        let bans = try scanDisposable(.peers, prefix: Array("b/".utf8)) { try BanRecord(decoding: $0) }
        return (peers, bans)
    }

    /// Mempool transactions persisted at the last change. Disposable like the address book: a
    /// damaged record is skipped, deleted and counted (the transaction can be sent again).
    public func mempoolTransactions() throws -> [Transaction] {
        try scanDisposable(.mempool) { try Transaction(decoding: $0) }
    }

    /// Unspent outputs owned by `owner`, from the address index, in outpoint order: at most
    /// `limit`, starting after `after`.
    public func unspent(of owner: AddressHash, after: OutPoint? = nil, limit: Int = .max) throws -> [(OutPoint, UTXOEntry)] {
        var found = [(OutPoint, UTXOEntry)]()
        let start = after.map { Keys.address(owner, $0) + [0] }
        try scan(.addressIndex, prefix: owner.bytes, from: start) { key, payload in
            let outpoint = try OutPoint(decoding: Array(key[20...]))
            let value = try AddressIndexValue(decoding: payload)
            found.append(
                (
                    outpoint,
                    UTXOEntry(
                        output: TxOutput(amount: value.amount, addressHash: owner),
                        height: value.height, isCoinbase: value.isCoinbase)
                ))
            return found.count < limit
        }
        return found
    }

    /// The total of `owner`'s unspent outputs and how many there are: one prefix scan.
    public func balance(of owner: AddressHash) throws -> (amount: Amount, count: Int) {
        var units: UInt64 = 0
        var count = 0
        // The hot path of every wallet: no copies, checksum verified in place, the amount read
        // from the first 8 bytes of the value.
        try database.scanRaw(.addressIndex, prefix: owner.bytes) { key, value in
            guard value.count >= 12, Checksum.isIntact(key: key, value: value) else {
                throw StorageError(.corruption, "checksum mismatch in address_index at key \(Hex.encode(Array(key)))")
            }
            units &+= UInt64(littleEndian: value.loadUnaligned(as: UInt64.self))
            count += 1
            return true
        }
        return (Amount(units: units), count)
    }

    /// A SHA-256 over every UTXO key and value in key order: equal sets give equal hashes.
    public func utxoSetHash() throws -> (hash: Hash256, count: Int) {
        var hasher = UTXOSetHasher()
        var count = 0
        try scan(.utxo) { key, payload in
            hasher.add(key: key, payload: payload)
            count += 1
            return true
        }
        return (hasher.finalize(), count)
    }
}
