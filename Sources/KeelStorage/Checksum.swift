/// CRC-32C (Castagnoli) over stored values, so a flipped or truncated value is caught on read
/// instead of being trusted.
enum Checksum {
    private static let table: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
        return c
    }

    static func crc32c(_ parts: [UInt8]...) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            for part in parts {
                for byte in part { crc = t[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
            }
        }
        return crc ^ 0xFFFF_FFFF
    }

    /// `payload` followed by the little-endian CRC of key and payload (binding the key means a
    /// value copied under the wrong key also fails).
    static func seal(key: [UInt8], payload: [UInt8]) -> [UInt8] {
        let crc = crc32c(key, payload)
        return payload + [UInt8(crc & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc >> 16 & 0xff), UInt8(crc >> 24)]
    }

    /// The payload of a sealed value, or nil when it is too short or the CRC does not match.
    static func open(key: [UInt8], value: [UInt8]) -> [UInt8]? {
        guard value.count >= 4 else { return nil }
        let payload = Array(value[..<(value.count - 4)])
        let stored = value[(value.count - 4)...].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return crc32c(key, payload) == stored ? payload : nil
    }
}
