/// A reference to one output of an earlier transaction.
public struct OutPoint: Hashable, Comparable, Sendable, CustomStringConvertible, CanonicalCodable {
    /// The transaction holding the output.
    public let txid: Hash256
    /// The output's position in it.
    public let index: UInt32

    /// Output `index` of transaction `txid`.
    public init(txid: Hash256, index: UInt32) {
        self.txid = txid
        self.index = index
    }

    /// Order of the storage key (txid, then index).
    public static func < (a: OutPoint, b: OutPoint) -> Bool { a.txid != b.txid ? a.txid < b.txid : a.index < b.index }
    /// `txid:index`.
    public var description: String { "\(txid):\(index)" }
    /// txid then big-endian index, so the storage key sorts like `<`.
    public func encode(to writer: inout ByteWriter) {
        writer.write(txid)
        writer.writeBE(index)
    }
    /// Reads an outpoint.
    public init(from reader: inout ByteReader) throws {
        txid = try Hash256(from: &reader)
        index = try reader.readBE()
    }
}

/// A spend of an earlier output: the output's reference, the key that owns it and a signature
/// over the transaction's signature hash.
public struct TxInput: Hashable, Sendable, CanonicalCodable {
    /// The output spent.
    public let previous: OutPoint
    /// 32-byte Ed25519 public key whose hash the spent output pays to.
    public let publicKey: [UInt8]
    /// 64-byte Ed25519 signature of `Transaction.signatureHash`.
    public var signature: [UInt8]

    /// Before signing, `signature` holds 64 zero bytes; `Transaction.sign(with:)` fills it.
    public init(previous: OutPoint, publicKey: [UInt8], signature: [UInt8]) {
        self.previous = previous
        self.publicKey = publicKey
        self.signature = signature
    }

    /// Encodes with the signature (`includeSignature: false` gives the signature-hash form).
    func encode(to writer: inout ByteWriter, includeSignature: Bool) {
        writer.write(previous)
        writer.write(contentsOf: publicKey)
        if includeSignature { writer.write(contentsOf: signature) }
    }
    /// Encodes with the signature.
    public func encode(to writer: inout ByteWriter) { encode(to: &writer, includeSignature: true) }
    /// Reads an input.
    public init(from reader: inout ByteReader) throws {
        previous = try OutPoint(from: &reader)
        publicKey = try reader.readBytes(32)
        signature = try reader.readBytes(64)
    }
}

/// An amount paid to an address hash.
public struct TxOutput: Hashable, Sendable, CanonicalCodable {
    /// What the output holds; a transaction's outputs together stay within the money supply.
    public let amount: Amount
    /// Who can spend it.
    public let addressHash: AddressHash

    /// Pays `amount` to whoever holds the key hashing to `addressHash`.
    public init(amount: Amount, addressHash: AddressHash) {
        self.amount = amount
        self.addressHash = addressHash
    }
    /// amount (LE) then address hash.
    public func encode(to writer: inout ByteWriter) {
        writer.writeLE(amount.units)
        writer.write(addressHash)
    }
    /// Reads an output.
    public init(from reader: inout ByteReader) throws {
        amount = Amount(units: try reader.readLE())
        addressHash = try AddressHash(from: &reader)
    }
}

/// A transaction. A coinbase has no inputs and carries its block's height in `lockTime`, which
/// keeps coinbase ids unique.
public struct Transaction: Hashable, Sendable, CanonicalCodable {
    /// Bound on inputs per transaction, checked before allocating.
    public static let maxInputs = 20_000
    /// Bound on outputs per transaction.
    public static let maxOutputs = 20_000

    /// Format version.
    public let version: UInt32
    /// Spent outputs.
    public var inputs: [TxInput]
    /// Created outputs.
    public let outputs: [TxOutput]
    /// The block height for a coinbase; zero otherwise.
    public let lockTime: UInt64

    /// Unsigned until `sign(with:)`; no inputs makes it a coinbase.
    public init(version: UInt32 = 1, inputs: [TxInput], outputs: [TxOutput], lockTime: UInt64 = 0) {
        self.version = version
        self.inputs = inputs
        self.outputs = outputs
        self.lockTime = lockTime
    }

    /// A coinbase paying `amount` to `addressHash` at `height`.
    public static func coinbase(height: UInt64, amount: Amount, to addressHash: AddressHash) -> Transaction {
        Transaction(inputs: [], outputs: [TxOutput(amount: amount, addressHash: addressHash)], lockTime: height)
    }

    /// Whether this is a coinbase.
    public var isCoinbase: Bool { inputs.isEmpty }

    /// The id: SHA-256d of the full encoding.
    public var txid: Hash256 { Hash256.sha256d(encoded) }

    /// What every input signs: SHA-256d of the encoding without signatures.
    public var signatureHash: Hash256 {
        var writer = ByteWriter()
        encode(to: &writer, includeSignatures: false)
        return Hash256.sha256d(writer.bytes)
    }

    /// Total of the outputs, or nil if it passes the money supply.
    public var outputTotal: Amount? {
        var total = Amount.zero
        for output in outputs {
            guard output.amount <= Amount.maxMoney, let sum = total.adding(output.amount) else { return nil }
            total = sum
        }
        return total
    }

    /// Signs every input with the matching key (`keys[i]` for input `i`).
    public mutating func sign(with keys: [SigningKey]) {
        precondition(keys.count == inputs.count, "one key per input")
        let message = signatureHash.bytes
        for i in inputs.indices { inputs[i].signature = keys[i].sign(message) }
    }

    func encode(to writer: inout ByteWriter, includeSignatures: Bool) {
        writer.writeLE(version)
        writer.writeVarInt(UInt64(inputs.count))
        for input in inputs { input.encode(to: &writer, includeSignature: includeSignatures) }
        writer.writeVarInt(UInt64(outputs.count))
        for output in outputs { writer.write(output) }
        writer.writeLE(lockTime)
    }

    /// The canonical encoding with signatures.
    public func encode(to writer: inout ByteWriter) { encode(to: &writer, includeSignatures: true) }

    /// Reads a transaction.
    public init(from reader: inout ByteReader) throws {
        version = try reader.readLE()
        inputs = try reader.readList(max: Transaction.maxInputs, field: "inputs") { try TxInput(from: &$0) }
        outputs = try reader.readList(max: Transaction.maxOutputs, field: "outputs") { try TxOutput(from: &$0) }
        lockTime = try reader.readLE()
    }
}
