import CKeelSupport

/// CRC-32C (Castagnoli) over stored values, so a flipped or truncated value is caught on read
/// instead of being trusted. The CRC covers key and payload: a value copied under the wrong key
/// also fails.
enum Checksum {
    static func crc32c(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        keel_crc32c_extend(crc, bytes.baseAddress, bytes.count)
    }

    /// `payload` followed by the little-endian CRC of key and payload.
    static func seal(key: [UInt8], payload: [UInt8]) -> [UInt8] {
        let crc = key.withUnsafeBytes { k in payload.withUnsafeBytes { crc32c($0, continuing: crc32c(k)) } }
        var sealed = payload
        sealed.reserveCapacity(payload.count + 4)
        withUnsafeBytes(of: crc.littleEndian) { sealed.append(contentsOf: $0) }
        return sealed
    }

    /// Whether a raw stored value is at least a checksum long and its checksum matches.
    static func isIntact(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        guard value.count >= 4 else { return false }
        let payloadLength = value.count - 4
        let stored = UInt32(littleEndian: value.loadUnaligned(fromByteOffset: payloadLength, as: UInt32.self))
        return crc32c(UnsafeRawBufferPointer(rebasing: value[..<payloadLength]), continuing: crc32c(key)) == stored
    }

    /// The payload of a sealed value, or nil when it is too short or the CRC does not match.
    static func open(key: [UInt8], value: [UInt8]) -> [UInt8]? {
        let intact = key.withUnsafeBytes { k in value.withUnsafeBytes { isIntact(key: k, value: $0) } }
        return intact ? Array(value[..<(value.count - 4)]) : nil
    }
}
