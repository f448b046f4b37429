import KeelCore
import KeelStorage

/// The UTXO set of the active chain, read from the store.
struct StoreUTXOView: UTXOView {
    let store: ChainStore
    func entry(for outpoint: OutPoint) throws -> UTXOEntry? { try store.utxo(outpoint) }
}
