/// Reads the canonical binary encoding written by `ByteWriter`.
///
/// Every read checks the remaining length first and every length prefix is checked against a
/// caller-supplied bound, so garbage, truncated or oversized input becomes a `DecodingError`
/// and never a trap or a huge allocation.
public struct ByteReader: Sendable {
    private let bytes: [UInt8]
    /// The index of the next unread byte.
    public private(set) var offset: Int

    /// Creates a reader positioned at the start of `bytes`.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
    }

    /// Bytes not yet read.
    public var remaining: Int { bytes.count - offset }

    /// Reads one byte.
    public mutating func readUInt8() throws -> UInt8 {
        guard remaining >= 1 else { throw DecodingError.truncated(needed: 1, remaining: remaining) }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// Reads `count` raw bytes.
    public mutating func readBytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, remaining >= count else {
            throw DecodingError.truncated(needed: count, remaining: remaining)
        }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Reads a little-endian fixed-width integer.
    public mutating func readLE<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw DecodingError.truncated(needed: size, remaining: remaining) }
        var value: T = 0
        for i in 0..<size { value |= T(truncatingIfNeeded: bytes[offset + i]) << (8 * i) }
        offset += size
        return value
    }

    /// Reads a big-endian fixed-width integer.
    public mutating func readBE<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw DecodingError.truncated(needed: size, remaining: remaining) }
        var value: T = 0
        for i in 0..<size { value = (value << 8) | T(truncatingIfNeeded: bytes[offset + i]) }
        offset += size
        return value
    }

    /// Reads an unsigned LEB128 integer, rejecting overlong and non-shortest forms.
    public mutating func readVarInt() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        for index in 0..<10 {
            let byte = try readUInt8()
            let payload = UInt64(byte & 0x7f)
            if index == 9 && payload > 1 { throw DecodingError(code: .overflow, message: "varint overflows 64 bits") }
            result |= payload << shift
            if byte & 0x80 == 0 {
                if byte == 0 && index > 0 {
                    throw DecodingError(code: .nonCanonical, message: "varint is not in its shortest form")
                }
                return result
            }
            shift += 7
        }
        throw DecodingError(code: .overflow, message: "varint longer than 10 bytes")
    }

    /// Reads a length prefix and checks it against `max` and against the bytes that remain.
    public mutating func readLength(max: Int, field: String) throws -> Int {
        let length = try readVarInt()
        guard length <= UInt64(max) else {
            throw DecodingError(code: .tooLong, message: "\(field) length \(length) exceeds the limit of \(max)")
        }
        return Int(length)
    }

    /// Reads a length-prefixed byte string of at most `max` bytes.
    public mutating func readVarBytes(max: Int, field: String) throws -> [UInt8] {
        let length = try readLength(max: max, field: field)
        return try readBytes(length)
    }

    /// Reads a length-prefixed list of at most `max` elements. Each element must consume at
    /// least one byte, so the count is also bounded by what remains.
    public mutating func readList<T>(max: Int, field: String, _ element: (inout ByteReader) throws -> T) throws -> [T] {
        let count = try readLength(max: max, field: field)
        guard count <= remaining else { throw DecodingError.truncated(needed: count, remaining: remaining) }
        var items: [T] = []
        items.reserveCapacity(count)
        for _ in 0..<count { items.append(try element(&self)) }
        return items
    }

    /// Fails unless every byte was consumed (trailing bytes would make encodings non-canonical).
    public func expectEnd() throws {
        guard remaining == 0 else {
            throw DecodingError(code: .trailingBytes, message: "\(remaining) unexpected trailing bytes")
        }
    }
}
