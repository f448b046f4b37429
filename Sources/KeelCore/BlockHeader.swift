/// A block header: 96 bytes, hashed with SHA-256d for proof of work and identity.
public struct BlockHeader: Hashable, Sendable, CanonicalCodable {
    /// The encoded size, fixed.
    public static let encodedSize = 96

    /// Format version.
    public var version: UInt32
    /// The block's height (genesis is 0).
    public var height: UInt64
    /// The parent's hash (zero for genesis).
    public var previousHash: Hash256
    /// Merkle root of the transaction ids.
    public var merkleRoot: Hash256
    /// Milliseconds since the Unix epoch.
    public var timestamp: UInt64
    /// The proof-of-work target.
    public var target: CompactTarget
    /// The value miners vary.
    public var nonce: UInt64

    /// Memberwise; the nonce starts at 0 for a miner to vary.
    public init(
        version: UInt32 = 1, height: UInt64, previousHash: Hash256, merkleRoot: Hash256,
        timestamp: UInt64, target: CompactTarget, nonce: UInt64 = 0
    ) {
        self.version = version
        self.height = height
        self.previousHash = previousHash
        self.merkleRoot = merkleRoot
        self.timestamp = timestamp
        self.target = target
        self.nonce = nonce
    }

    /// SHA-256d of the encoding.
    public var hash: Hash256 { Hash256.sha256d(encoded) }

    /// Byte offset of the nonce in the encoding (the last 8 bytes), for miners that patch it.
    public static let nonceOffset = 88

    /// Encodes the fixed 96 bytes.
    public func encode(to writer: inout ByteWriter) {
        writer.writeLE(version)
        writer.writeLE(height)
        writer.write(previousHash)
        writer.write(merkleRoot)
        writer.writeLE(timestamp)
        writer.writeLE(target.bits)
        writer.writeLE(nonce)
    }

    /// Reads a header.
    public init(from reader: inout ByteReader) throws {
        version = try reader.readLE()
        height = try reader.readLE()
        previousHash = try Hash256(from: &reader)
        merkleRoot = try Hash256(from: &reader)
        timestamp = try reader.readLE()
        target = CompactTarget(bits: try reader.readLE())
        nonce = try reader.readLE()
    }
}
