import Crypto
import KeelCore

/// Hashes a UTXO set the way `ChainStore.utxoSetHash` does (each key then each value, in key
/// order), so a set rebuilt in memory can be compared with the stored one.
struct UTXOHasher {
    private var hasher = SHA256()
    mutating func add(_ outpoint: OutPoint, _ entry: UTXOEntry) {
        hasher.update(data: outpoint.encoded)
        hasher.update(data: entry.encoded)
    }
    mutating func finalize() -> Hash256 { Hash256(bytes: Array(hasher.finalize()))! }
}
