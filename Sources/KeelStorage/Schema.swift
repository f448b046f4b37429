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
    /// Key: peer address (UTF-8). Value: peer record (P2P issue).
    case peers
    /// Key: `MetaKey` name (UTF-8). Value: per key, see `MetaKey`.
    case meta
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
}

/// The schema version this build writes.
public let schemaVersion: UInt32 = 1

/// A block header as stored, with what the chain needs to choose among branches.
public struct HeaderRecord: Sendable, Hashable, CanonicalCodable {
    /// Whether the block is usable.
    public enum Status: UInt8, Sendable {
        /// Stored and not known to be invalid.
        case valid = 0
        /// Failed validation (or descends from a block that did).
        case invalid = 1
    }

    /// The header.
    public let header: BlockHeader
    /// Total work of the chain ending at this block.
    public let cumulativeWork: UInt256
    /// Validity.
    public var status: Status
    /// Order in which the node first saw the block: ties in work go to the lower number.
    public let sequence: UInt64

    /// Creates a record.
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

    /// Creates a record.
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

    /// Creates a location.
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

/// Key encodings, in one place so readers and writers agree.
enum Keys {
    static func height(_ height: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 8)
        w.writeBE(height)
        return w.bytes
    }

    static func address(_ hash: AddressHash, _ outpoint: OutPoint) -> [UInt8] { hash.bytes + outpoint.encoded }

    static func meta(_ key: MetaKey) -> [UInt8] { Array(key.rawValue.utf8) }
}
