/// A value with one canonical binary encoding, used on disk and on the wire.
public protocol CanonicalCodable: Sendable {
    /// Appends the canonical encoding.
    func encode(to writer: inout ByteWriter)
    /// Reads a value, consuming exactly its encoding.
    init(from reader: inout ByteReader) throws
}

extension CanonicalCodable {
    /// The canonical encoding as bytes.
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        encode(to: &writer)
        return writer.bytes
    }

    /// Decodes a value that must occupy all of `bytes`.
    public init(decoding bytes: [UInt8]) throws {
        var reader = ByteReader(bytes)
        try self.init(from: &reader)
        try reader.expectEnd()
    }
}
