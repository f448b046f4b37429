import CSodium
import Crypto

/// A private signing key. Keys are created and used for signing with swift-crypto; signatures
/// are checked with libsodium (`Ed25519.verify`), which the benchmark shows is the faster
/// verifier on this machine, and whose strict checks (canonical encodings, no small-order
/// points) make the verdict the same on every node.
public struct SigningKey: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// A new random key.
    public init() { key = Curve25519.Signing.PrivateKey() }

    /// A key from its 32-byte seed.
    public init(seed: [UInt8]) throws { key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed) }

    /// The 32-byte seed (secret: never log it).
    public var seed: [UInt8] { Array(key.rawRepresentation) }

    /// The 32-byte public key.
    public var publicKey: [UInt8] { Array(key.publicKey.rawRepresentation) }

    /// The hash that outputs paying to this key carry.
    public var addressHash: AddressHash { AddressHash(publicKey: publicKey) }

    /// A 64-byte signature of `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        // swift-crypto only throws here when the platform RNG fails, which Ed25519 signing
        // does not use (it is deterministic); a failure would be a broken build.
        do {
            return Array(try key.signature(for: message))
        } catch {
            preconditionFailure("Ed25519 signing failed: \(error)")
        }
    }
}

/// Ed25519 signature checks.
public enum Ed25519 {
    private static let ready: Bool = sodium_init() >= 0

    /// Whether `signature` is a valid signature of `message` by `publicKey`.
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard ready, signature.count == 64, publicKey.count == 32 else { return false }
        return signature.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                publicKey.withUnsafeBufferPointer { pk in
                    crypto_sign_verify_detached(sig.baseAddress!, msg.baseAddress, UInt64(msg.count), pk.baseAddress!) == 0
                }
            }
        }
    }
}
