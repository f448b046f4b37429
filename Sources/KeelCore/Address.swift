import Crypto

/// The 20-byte hash of a public key that outputs pay to. The node indexes balances by this,
/// never by the display string, so the way an address is written cannot change a balance.
public struct AddressHash: Hashable, Comparable, Sendable, CustomStringConvertible, CanonicalCodable {
    /// The 20 bytes.
    public let bytes: [UInt8]

    /// Wraps 20 bytes; nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 20 else { return nil }
        self.bytes = bytes
    }

    /// The hash of an Ed25519 public key: the first 20 bytes of its SHA-256.
    public init(publicKey: [UInt8]) { self.bytes = Array(SHA256.hash(data: publicKey).prefix(20)) }

    /// An unspendable hash (all zero), used by genesis blocks.
    public static let burn = AddressHash(bytes: [UInt8](repeating: 0, count: 20))!

    /// Byte order.
    public static func < (a: AddressHash, b: AddressHash) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
    /// Hex.
    public var description: String { Hex.encode(bytes) }
    /// Writes 20 bytes.
    public func encode(to writer: inout ByteWriter) { writer.write(contentsOf: bytes) }
    /// Reads 20 bytes.
    public init(from reader: inout ByteReader) throws { bytes = try reader.readBytes(20) }
}

/// A Keel address: bech32m with HRP `keel` (main) or `tkeel` (test, dev); payload = a version
/// byte and the 20-byte `AddressHash`.
public struct Address: Hashable, Sendable, CustomStringConvertible {
    /// The only address version so far.
    public static let currentVersion: UInt8 = 0

    /// The human-readable part (network).
    public let hrp: String
    /// The payload version byte.
    public let version: UInt8
    /// The key hash outputs pay to.
    public let hash: AddressHash

    /// An address for `hash` on `network`.
    public init(hash: AddressHash, network: Network) {
        self.hrp = network.addressPrefix
        self.version = Address.currentVersion
        self.hash = hash
    }

    /// Parses an address written in either case and checks it belongs to `network`.
    public init(parsing text: String, network: Network) throws(AddressError) {
        let decoded: (hrp: String, data: [UInt8])
        do { decoded = try Bech32m.decode(text.trimmingWhitespace) } catch {
            throw AddressError(code: .encoding, message: "'\(text)' is not a valid address: it \(error.rawValue)")
        }
        guard decoded.hrp == network.addressPrefix else {
            throw AddressError(
                code: .wrongNetwork,
                message: "address prefix '\(decoded.hrp)' is not for the \(network.name) network (expected '\(network.addressPrefix)')")
        }
        guard let payload = Bech32m.convertBits(decoded.data, from: 5, to: 8, pad: false), payload.count == 21 else {
            throw AddressError(code: .length, message: "address payload must be 21 bytes")
        }
        guard payload[0] == Address.currentVersion else {
            throw AddressError(code: .version, message: "unknown address version \(payload[0])")
        }
        self.hrp = decoded.hrp
        self.version = payload[0]
        self.hash = AddressHash(bytes: Array(payload[1...]))!
    }

    /// The normalized (lower-case) form.
    public var string: String {
        Bech32m.encode(hrp: hrp, data: Bech32m.convertBits([version] + hash.bytes, from: 8, to: 5, pad: true)!)
    }

    /// The normalized form.
    public var description: String { string }
}

/// Why an address string was refused.
public struct AddressError: KeelError {
    /// The kind of failure.
    public typealias Code = ErrorCode<AddressError>
    /// The kind of failure.
    public let code: Code
    /// What was wrong, for people.
    public let message: String
    /// A typed address is the user's own input; there is no cause below it.
    public var cause: (any Error & Sendable)? { nil }
    /// The message.
    public var description: String { message }
}

/// The codes of `AddressError`.
extension ErrorCode where Domain == AddressError {
    /// Not bech32m.
    public static let encoding = Self(rawValue: "address_encoding")
    /// Another network's prefix.
    public static let wrongNetwork = Self(rawValue: "address_wrong_network")
    /// Payload of the wrong size.
    public static let length = Self(rawValue: "address_length")
    /// Unknown version byte.
    public static let version = Self(rawValue: "address_version")
}

extension String {
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
