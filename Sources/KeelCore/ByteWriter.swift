/// Appends the canonical binary encoding of Keel values.
///
/// Integers are little-endian unless a caller asks for big-endian (storage keys use big-endian
/// so that RocksDB's byte order matches numeric order). Variable-length fields are prefixed by a
/// LEB128 length that `ByteReader` bounds before it trusts it.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// Creates an empty writer with room for `capacity` bytes.
    public init(capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    public mutating func write(_ value: UInt8) { bytes.append(value) }

    /// Appends raw bytes with no length prefix (fixed-size fields).
    public mutating func write(contentsOf raw: [UInt8]) { bytes.append(contentsOf: raw) }

    /// Appends a fixed-width integer, little-endian.
    public mutating func writeLE<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends a fixed-width integer, big-endian (for keys that must sort numerically).
    public mutating func writeBE<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends an unsigned LEB128 integer (the shortest form, so encodings stay canonical).
    public mutating func writeVarInt(_ value: UInt64) {
        var v = value
        repeat {
            var byte = UInt8(v & 0x7f)
            v >>= 7
            if v != 0 { byte |= 0x80 }
            bytes.append(byte)
        } while v != 0
    }

    /// Appends a length-prefixed byte string.
    public mutating func writeVarBytes(_ raw: [UInt8]) {
        writeVarInt(UInt64(raw.count))
        bytes.append(contentsOf: raw)
    }

    /// Appends a value's canonical encoding.
    public mutating func write(_ value: some CanonicalCodable) { value.encode(to: &self) }
}
