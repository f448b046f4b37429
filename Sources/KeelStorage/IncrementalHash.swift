import Crypto
import KeelCore

/// SHA-256 fed piece by piece (used for the UTXO set hash).
struct IncrementalHash {
    private var hasher = SHA256()
    mutating func update(_ bytes: [UInt8]) { hasher.update(data: bytes) }
    mutating func finalize() -> Hash256 { Hash256(bytes: Array(hasher.finalize()))! }
}
