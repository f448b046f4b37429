import Hummingbird
import KeelAPIModels
import KeelCore
import KeelStorage

// The response bodies, as Hummingbird encodes them (through `KeelRequestContext.responseEncoder`).
extension API.Health: ResponseEncodable {}
extension API.Status: ResponseEncodable {}
extension API.Mining: ResponseEncodable {}
extension API.MiningStopped: ResponseEncodable {}
extension API.Block: ResponseEncodable {}
extension API.TransactionLookup: ResponseEncodable {}
extension API.Balance: ResponseEncodable {}
extension API.UTXOPage: ResponseEncodable {}
extension API.Mempool: ResponseEncodable {}
extension API.Template: ResponseEncodable {}
extension API.Txid: ResponseEncodable {}
extension API.SubmittedBlock: ResponseEncodable {}
extension API.Peers: ResponseEncodable {}
extension API.NetworkHealth: ResponseEncodable {}
extension API.PeerBundle: ResponseEncodable {}
extension API.PeerImport: ResponseEncodable {}
extension API.Connected: ResponseEncodable {}
extension API.Disconnected: ResponseEncodable {}
extension API.Verification: ResponseEncodable {}
extension API.Backup: ResponseEncodable {}

extension API.Backup {
    /// The wire form of the store's backup report (the same fields as its `backup.json`).
    init(_ b: ChainStore.Backup) {
        self.init(path: b.path, network: b.network, height: b.height, tip: b.tip, utxoHash: b.utxoHash, minerKey: b.minerKey)
    }
}
