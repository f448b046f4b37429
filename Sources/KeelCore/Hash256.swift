import Crypto

/// A 32-byte SHA-256d hash (block hashes, transaction ids, merkle roots).
///
/// Shown as lower-case hex of the bytes in stored order. For proof of work the bytes are read
/// as a big-endian number, so `hash <= target` compares byte-wise.
public struct Hash256: Hashable, Comparable, Sendable, CustomStringConvertible, CanonicalCodable {
    /// The 32 bytes.
    public let bytes: [UInt8]

    /// The all-zero hash (the previous hash of a genesis block).
    public static let zero = Hash256(unchecked: [UInt8](repeating: 0, count: 32))

    /// Wraps 32 bytes; returns nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Parses 64 hex characters (either case).
    public init?(hex: String) {
        guard let raw = Hex.decode(hex), raw.count == 32 else { return nil }
        self.bytes = raw
    }

    /// Lower-case hex.
    public var hex: String { Hex.encode(bytes) }
    /// Lower-case hex.
    public var description: String { hex }

    /// Feeds the 32 bytes to the hasher in one piece. The synthesized hash fed them one at a
    /// time (33 calls, count included): a fifth of the importer's own time in a block of 1,000
    /// transactions went to hashing outpoints for its sets and dictionaries (issue 17).
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    /// Byte-wise order, which is also numeric order of the big-endian reading.
    public static func < (lhs: Hash256, rhs: Hash256) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    /// SHA-256 applied twice.
    public static func sha256d(_ data: [UInt8]) -> Hash256 {
        let first = SHA256.hash(data: data)
        var second = SHA256()
        first.withUnsafeBytes { second.update(bufferPointer: $0) }
        return Hash256(unchecked: Array(second.finalize()))
    }

    /// Writes the 32 bytes.
    public func encode(to writer: inout ByteWriter) { writer.write(contentsOf: bytes) }
    /// Reads 32 bytes.
    public init(from reader: inout ByteReader) throws { self.bytes = try reader.readBytes(32) }
}

/// Hex encoding helpers.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lower-case hex of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes hex in either case; nil on odd length or a non-hex character.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
