import KeelCore

/// Typed, checksummed writes for the schema's records.
extension WriteBatch {
    /// Puts `payload` sealed with its checksum.
    public mutating func putSealed(_ family: ColumnFamily, _ key: [UInt8], _ payload: [UInt8]) {
        put(family, key, Checksum.seal(key: key, payload: payload))
    }

    /// Puts a record's encoding, sealed.
    public mutating func put(_ family: ColumnFamily, _ key: [UInt8], record: some CanonicalCodable) {
        putSealed(family, key, record.encoded)
    }

    /// Deletes everything stored for a block off the active chain: header, its place in
    /// `header_heights`, body and undo data (pruning a dead side branch).
    public mutating func deleteSideBlock(_ hash: Hash256, height: UInt64) {
        delete(.headers, hash.bytes)
        delete(.headerHeights, Keys.headerHeight(height, hash))
        delete(.blocks, hash.bytes)
        delete(.undo, hash.bytes)
    }

    /// Records that dead side branches below `height` are pruned.
    public mutating func setPrunedHeight(_ height: UInt64) {
        putSealed(.meta, Keys.meta(.prunedHeight), Keys.height(height))
    }

    /// Stores a header record, and its place in `header_heights`.
    public mutating func putHeader(_ record: HeaderRecord, hash: Hash256) {
        put(.headers, hash.bytes, record: record)
        putSealed(.headerHeights, Keys.headerHeight(record.header.height, hash), [])
    }
    /// Records the first-seen sequence the next new header gets.
    public mutating func setHeaderSequence(_ next: UInt64) {
        var w = ByteWriter()
        w.writeBE(next)
        putSealed(.meta, Keys.meta(.headerSequence), w.bytes)
    }
    /// Stores a block body.
    public mutating func putBlock(_ block: Block, hash: Hash256) { put(.blocks, hash.bytes, record: block) }
    /// Stores undo data.
    public mutating func putUndo(_ undo: UndoRecord, hash: Hash256) { put(.undo, hash.bytes, record: undo) }
    /// Removes undo data.
    public mutating func deleteUndo(_ hash: Hash256) { delete(.undo, hash.bytes) }
    /// Sets the active-chain hash at `height`.
    public mutating func putHeight(_ height: UInt64, hash: Hash256) { put(.heightIndex, Keys.height(height), record: hash) }
    /// Clears the active-chain hash at `height`.
    public mutating func deleteHeight(_ height: UInt64) { delete(.heightIndex, Keys.height(height)) }
    /// Records where `txid` is confirmed.
    public mutating func putTxLocation(_ location: TxLocation, txid: Hash256) { put(.txIndex, txid.bytes, record: location) }
    /// Forgets where `txid` is confirmed.
    public mutating func deleteTxLocation(_ txid: Hash256) { delete(.txIndex, txid.bytes) }
    /// Persists a mempool transaction.
    public mutating func putMempool(_ tx: Transaction, txid: Hash256) { put(.mempool, txid.bytes, record: tx) }
    /// Removes a persisted mempool transaction.
    public mutating func deleteMempool(_ txid: Hash256) { delete(.mempool, txid.bytes) }

    /// Stores an address-book entry.
    public mutating func putPeer(_ record: PeerRecord) { put(.peers, Keys.peer(record.address), record: record) }
    /// Forgets an address-book entry.
    public mutating func deletePeer(address: String) { delete(.peers, Keys.peer(address)) }
    /// Stores a ban.
    public mutating func putBan(_ ban: BanRecord) { put(.peers, Keys.ban(ban.host), record: ban) }
    /// Lifts a ban.
    public mutating func deleteBan(host: String) { delete(.peers, Keys.ban(host)) }

    /// Adds an unspent output to the UTXO set and its owner's address index together.
    public mutating func addUTXO(_ outpoint: OutPoint, _ entry: UTXOEntry) {
        put(.utxo, outpoint.encoded, record: entry)
        put(
            .addressIndex, Keys.address(entry.output.addressHash, outpoint),
            record: AddressIndexValue(entry))
    }

    /// Removes an output from the UTXO set and its owner's address index together.
    public mutating func removeUTXO(_ outpoint: OutPoint, _ entry: UTXOEntry) {
        delete(.utxo, outpoint.encoded)
        delete(.addressIndex, Keys.address(entry.output.addressHash, outpoint))
    }

    /// Moves the active tip.
    public mutating func setTip(hash: Hash256, height: UInt64) {
        put(.meta, Keys.meta(.tipHash), record: hash)
        var w = ByteWriter()
        w.writeBE(height)
        putSealed(.meta, Keys.meta(.tipHeight), w.bytes)
    }
}

/// The value of an `address_index` entry: the output's amount, plus its height and coinbase
/// flag so a UTXO listing needs no second read.
public struct AddressIndexValue: Sendable, Hashable, CanonicalCodable {
    /// The amount (first, so a balance scan reads 8 bytes).
    public let amount: Amount
    /// Creating block's height.
    public let height: UInt64
    /// Coinbase flag.
    public let isCoinbase: Bool

    /// What the index keeps of an unspent output.
    init(_ entry: UTXOEntry) {
        amount = entry.output.amount
        height = entry.height
        isCoinbase = entry.isCoinbase
    }

    /// Encodes the value.
    public func encode(to writer: inout ByteWriter) {
        writer.writeLE(amount.units)
        writer.writeLE(height)
        writer.write(isCoinbase ? 1 : 0)
    }
    /// Reads the value.
    public init(from reader: inout ByteReader) throws {
        amount = Amount(units: try reader.readLE())
        height = try reader.readLE()
        isCoinbase = try reader.readUInt8() == 1
    }
}
