import KeelCore

/// The storage schema: every RocksDB column family Keel uses, with its key and value.
///
/// Every value is stored sealed: the payload followed by a CRC-32C of key and payload
/// (`Checksum`), checked on every read. Integers in keys are big-endian so that RocksDB's
/// byte order is numeric order. Bump `schemaVersion` on any incompatible change.
public enum ColumnFamily: String, CaseIterable, Sendable {
    /// Key: block hash (32). Value: `HeaderRecord` (header, cumulative work, status, first-seen
    /// sequence). Holds every block header the node has accepted, on any branch.
    case headers
    /// Key: height (UInt64 BE) + block hash (32). Value: empty (sealed). Every header in
    /// `headers` by height, on any branch, so start-up loads just the headers near the tip
    /// with one range scan. Written with each header (`putHeader`).
    case headerHeights = "header_heights"
    /// Key: block hash (32). Value: `Block` (canonical encoding). Bodies of every stored block.
    case blocks
    /// Key: height (UInt64 BE). Value: block hash (32). The active chain only.
    case heightIndex = "height_index"
    /// Key: `OutPoint` (txid 32 + index UInt32 BE). Value: `UTXOEntry` (output, height,
    /// coinbase flag). The unspent outputs of the active chain.
    case utxo
    /// Key: `AddressHash` (20) + `OutPoint` (36). Value: `AddressIndexValue` (amount, height,
    /// coinbase flag). Mirrors `utxo` by owner, so a balance is one prefix scan.
    case addressIndex = "address_index"
    /// Key: block hash (32). Value: `UndoRecord` (the outputs the block spent). Lets a reorg
    /// disconnect the block.
    case undo
    /// Key: txid (32). Value: `TxLocation` (block hash + position). Active chain only.
    case txIndex = "tx_index"
    /// Key: txid (32). Value: `Transaction`. Mempool contents, reloaded (and revalidated) at start.
    case mempool
    /// The address book and the bans, two key spaces:
    /// - `a/` + `host:port` (UTF-8). Value: `PeerRecord` (where it was learned, last seen,
    ///   last success, consecutive failures).
    /// - `b/` + host (UTF-8). Value: `BanRecord` (until when, why). Bans are by host, so a
    ///   banned peer cannot come back from another port.
    case peers
    /// Key: `MetaKey` name (UTF-8). Value: per key, see `MetaKey`.
    case meta

    /// Whether the family keeps bloom filters (in its tables and its memtable): its point
    /// lookups mostly miss. `headers` is asked about every block a peer offers or sends before
    /// it is stored (without them, half the frame workers' time in a sync from one peer went to such misses); the
    /// other families are read for keys that exist, where a filter only costs its upkeep.
    var filtersLookups: Bool { self == .headers }

    /// Whether the family's memtable hashes its keys' first `hashedKeyPrefix` bytes into buckets
    /// instead of keeping one skip list (see `RocksDatabase.Opener`). `utxo` and `tx_index` keys
    /// begin with a txid, a block writes two of them for each of its transactions at random
    /// places, and they are read by point lookups; a scan of them (the UTXO set hash, a
    /// reindex) is rare. Every key of such a family must be at least `hashedKeyPrefix` long:
    /// RocksDB reads that many bytes of each key it inserts or looks up.
    var hashedMemtable: Bool { self == .utxo || self == .txIndex }

    /// The length of the key prefix a hashed memtable buckets by: a txid.
    static let hashedKeyPrefix = 32

    /// The family's place in `allCases`: the open handles are an array indexed by it, as a
    /// dictionary keyed by the family hashed its raw-value string on every read and on every
    /// operation of a write batch.
    var ordinal: Int {
        switch self {
        case .headers: 0
        case .headerHeights: 1
        case .blocks: 2
        case .heightIndex: 3
        case .utxo: 4
        case .addressIndex: 5
        case .undo: 6
        case .txIndex: 7
        case .mempool: 8
        case .peers: 9
        case .meta: 10
        }
    }
}

/// The names used in the `meta` column family.
public enum MetaKey: String, Sendable {
    /// Value: block hash (32) of the active tip.
    case tipHash = "tip_hash"
    /// Value: UInt64 BE height of the active tip.
    case tipHeight = "tip_height"
    /// Value: UInt32 BE schema version.
    case schemaVersion = "schema_version"
    /// Value: one byte, 1 after a clean close, 0 while open.
    case cleanShutdown = "clean_shutdown"
    /// Value: the network name (UTF-8), so a directory is never opened for another network.
    case network
    /// Value: UInt64 BE, the first-seen sequence the next new header gets (ties in work go
    /// to the lower), kept here because only a window of headers is loaded at start.
    case headerSequence = "header_sequence"
    /// Value: one byte, 1 while a reindex runs: a node killed mid-reindex has a consistent but
    /// partial chain state, and the next start resumes the reindex instead of serving it.
    case reindexing
    /// Value: UInt64 BE. Dead side branches below this height have been pruned (their headers,
    /// heights entries, bodies and undo data deleted); absent: none yet.
    case prunedHeight = "pruned_height"
}

/// The schema version this build writes. Version 2 added `header_heights` and
/// `header_sequence`; a version 1 database is upgraded when first opened read-write.
public let schemaVersion: UInt32 = 2

/// A block header as stored, with what the chain needs to choose among branches.
public struct HeaderRecord: Sendable, Hashable, CanonicalCodable {
    /// Whether the block is usable.
    public enum Status: UInt8, Sendable {
        /// Stored and not known to be invalid.
        case valid = 0
        /// Failed validation (or descends from a block that did).
        case invalid = 1
    }

    /// The block's header, kept here so the header chain loads without reading blocks.
    public let header: BlockHeader
    /// Total work of the chain ending at this block.
    public let cumulativeWork: UInt256
    /// Validity.
    public var status: Status
    /// Order in which the node first saw the block: ties in work go to the lower number.
    public let sequence: UInt64

    /// Memberwise; `sequence` orders equal-work branches (first seen wins).
    public init(header: BlockHeader, cumulativeWork: UInt256, status: Status, sequence: UInt64) {
        self.header = header
        self.cumulativeWork = cumulativeWork
        self.status = status
        self.sequence = sequence
    }

    /// Encodes the record.
    public func encode(to writer: inout ByteWriter) {
        writer.write(header)
        writer.write(contentsOf: cumulativeWork.bigEndianBytes)
        writer.write(status.rawValue)
        writer.writeLE(sequence)
    }

    /// Reads a record.
    public init(from reader: inout ByteReader) throws {
        header = try BlockHeader(from: &reader)
        cumulativeWork = UInt256(bigEndianBytes: try reader.readBytes(32))
        guard let status = Status(rawValue: try reader.readUInt8()) else {
            throw DecodingError(code: .invalidValue, message: "unknown header status")
        }
        self.status = status
        sequence = try reader.readLE()
    }
}

/// The outputs a block spent, in block order, to restore them when it is disconnected.
public struct UndoRecord: Sendable, Hashable, CanonicalCodable {
    /// Each spent outpoint with the entry it had.
    public let spent: [SpentOutput]

    /// One restored output.
    public struct SpentOutput: Sendable, Hashable {
        /// Where it was.
        public let outpoint: OutPoint
        /// What it was.
        public let entry: UTXOEntry
        /// Creates one.
        public init(outpoint: OutPoint, entry: UTXOEntry) {
            self.outpoint = outpoint
            self.entry = entry
        }
    }

    /// Outputs in the order the block spent them; a disconnect takes them back from the end.
    public init(spent: [SpentOutput]) { self.spent = spent }

    /// Encodes the list.
    public func encode(to writer: inout ByteWriter) {
        writer.writeVarInt(UInt64(spent.count))
        for item in spent {
            writer.write(item.outpoint)
            writer.write(item.entry)
        }
    }

    /// Reads the list.
    public init(from reader: inout ByteReader) throws {
        spent = try reader.readList(max: Block.maxTransactions * 4, field: "undo") {
            SpentOutput(outpoint: try OutPoint(from: &$0), entry: try UTXOEntry(from: &$0))
        }
    }
}

/// Where a confirmed transaction is.
public struct TxLocation: Sendable, Hashable, CanonicalCodable {
    /// The block holding it.
    public let blockHash: Hash256
    /// Its position in the block.
    public let index: UInt32

    /// The block holding the transaction, and its position there.
    public init(blockHash: Hash256, index: UInt32) {
        self.blockHash = blockHash
        self.index = index
    }
    /// Encodes hash then index.
    public func encode(to writer: inout ByteWriter) {
        writer.write(blockHash)
        writer.writeLE(index)
    }
    /// Reads a location.
    public init(from reader: inout ByteReader) throws {
        blockHash = try Hash256(from: &reader)
        index = try reader.readLE()
    }
}

/// A peer address the node knows (the `peers` column family, `a/` keys).
public struct PeerRecord: Sendable, Hashable, CanonicalCodable {
    /// How the node learned the address (a bounded metrics label).
    public enum Source: UInt8, Sendable, CaseIterable {
        /// `--seed` on the command line.
        case seed = 1
        /// `--connect` on the command line, or a connect request through the API.
        case manual = 2
        /// A peer bundle (`keel peers import`).
        case imported = 3
        /// An `addr` message from a peer: learned through address exchange.
        case addr = 4
        /// A peer that dialled us and said it listens.
        case inbound = 5

        /// The label and JSON name.
        public var name: String {
            switch self {
            case .seed: "seed"
            case .manual: "manual"
            case .imported: "imported"
            case .addr: "addr"
            case .inbound: "inbound"
            }
        }
    }

    /// Host (IP address or name).
    public var host: String
    /// TCP port.
    public var port: UInt16
    /// How it was learned.
    public var source: Source
    /// When it was last heard of, by us or a peer (ms since the epoch).
    public var lastSeen: UInt64
    /// When a handshake with it last completed (ms since the epoch; 0: never).
    public var lastSuccess: UInt64
    /// Dial failures since the last success.
    public var failures: UInt32

    /// A new address: no successful handshake and no failures yet unless given.
    public init(host: String, port: UInt16, source: Source, lastSeen: UInt64, lastSuccess: UInt64 = 0, failures: UInt32 = 0) {
        self.host = host
        self.port = port
        self.source = source
        self.lastSeen = lastSeen
        self.lastSuccess = lastSuccess
        self.failures = failures
    }

    /// `host:port` (IPv6 hosts in brackets): the record's key and display form.
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Encodes the fields in order.
    public func encode(to writer: inout ByteWriter) {
        writer.writeVarBytes(Array(host.utf8))
        writer.writeLE(port)
        writer.write(source.rawValue)
        writer.writeLE(lastSeen)
        writer.writeLE(lastSuccess)
        writer.writeLE(failures)
    }

    /// Reads a record (host bounded to 255 bytes).
    public init(from reader: inout ByteReader) throws {
        host = String(decoding: try reader.readVarBytes(max: 255, field: "host"), as: UTF8.self)
        port = try reader.readLE()
        guard let source = Source(rawValue: try reader.readUInt8()) else {
            throw DecodingError(code: .invalidValue, message: "unknown peer source")
        }
        self.source = source
        lastSeen = try reader.readLE()
        lastSuccess = try reader.readLE()
        failures = try reader.readLE()
    }
}

/// A banned host (the `peers` column family, `b/` keys).
public struct BanRecord: Sendable, Hashable, CanonicalCodable {
    /// The banned host (an IP address as text); every port of it is refused.
    public let host: String
    /// When the ban ends (ms since the epoch).
    public let until: UInt64
    /// Why (a disconnect reason code).
    public let reason: String

    /// `until` in ms since the epoch; `reason` a disconnect reason code.
    public init(host: String, until: UInt64, reason: String) {
        self.host = host
        self.until = until
        self.reason = reason
    }

    /// Encodes host, until, reason.
    public func encode(to writer: inout ByteWriter) {
        writer.writeVarBytes(Array(host.utf8))
        writer.writeLE(until)
        writer.writeVarBytes(Array(reason.utf8))
    }

    /// Reads a ban.
    public init(from reader: inout ByteReader) throws {
        host = String(decoding: try reader.readVarBytes(max: 255, field: "host"), as: UTF8.self)
        until = try reader.readLE()
        reason = String(decoding: try reader.readVarBytes(max: 64, field: "reason"), as: UTF8.self)
    }
}

/// Key encodings, in one place so readers and writers agree.
enum Keys {
    static func peer(_ address: String) -> [UInt8] { Array("a/".utf8) + Array(address.utf8) }

    static func ban(_ host: String) -> [UInt8] { Array("b/".utf8) + Array(host.utf8) }

    static func height(_ height: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 8)
        w.writeBE(height)
        return w.bytes
    }

    static func address(_ hash: AddressHash, _ outpoint: OutPoint) -> [UInt8] { hash.bytes + outpoint.encoded }

    static func meta(_ key: MetaKey) -> [UInt8] { Array(key.rawValue.utf8) }

    static func headerHeight(_ height: UInt64, _ hash: Hash256) -> [UInt8] { self.height(height) + hash.bytes }
}
