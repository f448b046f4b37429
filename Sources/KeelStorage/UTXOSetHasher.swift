import Crypto
import KeelCore

/// The UTXO set hash: SHA-256 over each outpoint key then each entry, in key order. One
/// definition for the stored set (`ChainStore.utxoSetHash`) and for a set rebuilt in memory
/// (`keel chain verify --full`), so the two can only differ when the sets do.
public struct UTXOSetHasher {
    private var hasher = SHA256()

    /// An empty hash.
    public init() {}

    /// Adds one unspent output (call in outpoint order).
    public mutating func add(_ outpoint: OutPoint, _ entry: UTXOEntry) { add(key: outpoint.encoded, payload: entry.encoded) }

    mutating func add(key: [UInt8], payload: [UInt8]) {
        hasher.update(data: key)
        hasher.update(data: payload)
    }

    /// The hash of everything added.
    public mutating func finalize() -> Hash256 { Hash256(bytes: Array(hasher.finalize()))! }
}
