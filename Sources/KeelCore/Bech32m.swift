/// Bech32m (BIP-350) encoding of a human-readable part and 5-bit data.
public enum Bech32m {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let constant: UInt32 = 0x2bc8_30a3
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (i, c) in charset.enumerated() { table[Int(c)] = Int8(i) }
        return table
    }()

    /// Why a string is not valid bech32m.
    public enum Failure: String, Error, Sendable {
        case tooLong = "longer than 90 characters"
        case mixedCase = "mixes upper and lower case"
        case badCharacter = "contains a character outside the bech32 set"
        case noSeparator = "has no '1' separator"
        case emptyHRP = "has an empty human-readable part"
        case shortChecksum = "is too short to hold a checksum"
        case badChecksum = "has an invalid bech32m checksum"
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generators: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var chk: UInt32 = 1
        for v in values {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ UInt32(v)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { chk ^= generators[i] }
        }
        return chk
    }

    private static func expand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    /// Encodes lower-case `hrp` and 5-bit `data` with a bech32m checksum.
    public static func encode(hrp: String, data: [UInt8]) -> String {
        let h = Array(hrp.lowercased().utf8)
        let mod = polymod(expand(h) + data + [0, 0, 0, 0, 0, 0]) ^ constant
        let checksum = (0..<6).map { UInt8((mod >> UInt32(5 * (5 - $0))) & 31) }
        return String(decoding: h + [UInt8(ascii: "1")] + (data + checksum).map { charset[Int($0)] }, as: UTF8.self)
    }

    /// Decodes a bech32m string in either case (not mixed) into its lower-case HRP and 5-bit data.
    public static func decode(_ text: String) throws(Failure) -> (hrp: String, data: [UInt8]) {
        let bytes = Array(text.utf8)
        guard bytes.count <= 90 else { throw .tooLong }
        guard bytes.allSatisfy({ $0 >= 33 && $0 <= 126 }) else { throw .badCharacter }
        let hasLower = bytes.contains { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") }
        let hasUpper = bytes.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
        guard !(hasLower && hasUpper) else { throw .mixedCase }
        let lower = bytes.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }
        guard let sep = lower.lastIndex(of: UInt8(ascii: "1")) else { throw .noSeparator }
        guard sep > 0 else { throw .emptyHRP }
        guard lower.count - sep - 1 >= 6 else { throw .shortChecksum }
        let hrp = Array(lower[..<sep])
        var data = [UInt8]()
        for c in lower[(sep + 1)...] {
            guard c < 128, reverse[Int(c)] >= 0 else { throw .badCharacter }
            data.append(UInt8(reverse[Int(c)]))
        }
        guard polymod(expand(hrp) + data) == constant else { throw .badChecksum }
        return (String(decoding: hrp, as: UTF8.self), Array(data.dropLast(6)))
    }

    /// Regroups bits (8 to 5 to encode, 5 to 8 to decode); nil when padding is invalid.
    public static func convertBits(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var acc = 0, bits = 0
        var out = [UInt8]()
        let maxv = (1 << to) - 1
        for value in data {
            guard Int(value) >> from == 0 else { return nil }
            acc = (acc << from) | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((acc >> bits) & maxv))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((acc << (to - bits)) & maxv)) }
        } else if bits >= from || (acc << (to - bits)) & maxv != 0 {
            return nil
        }
        return out
    }
}
