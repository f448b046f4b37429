import Hummingbird
import KeelChain
import KeelCore
import KeelStorage

/// An amount as JSON: integer base units and the decimal string with exactly 8 decimals.
public struct AmountJSON: Codable, Sendable, Equatable {
    /// Base units.
    public let units: UInt64
    /// `226.62500000`.
    public let decimal: String
    /// Wraps an amount.
    public init(_ amount: Amount) {
        units = amount.units
        decimal = amount.decimalString
    }
}

struct MiningJSON: ResponseEncodable {
    let active: Bool
    let threads: Int
    let hashesTotal: UInt64
    let payTo: String?
    init(_ s: MiningSnapshot, network: Network) {
        active = s.active
        threads = s.threads
        hashesTotal = s.hashesTotal
        payTo = s.payTo.map { Address(hash: $0, network: network).string }
    }
}

struct StatusJSON: ResponseEncodable {
    struct Mempool: Codable { let transactions: Int; let bytes: Int }
    let network: String
    let version: String
    let phase: String
    let height: UInt64
    let tip: String
    let tipTimestamp: UInt64
    let peers: Int
    let mempool: Mempool
    let mining: MiningJSON
}

struct InputJSON: Codable {
    let txid: String
    let index: UInt32
    let address: String
}

struct OutputJSON: Codable {
    let index: UInt32
    let amount: AmountJSON
    let address: String
}

struct TransactionJSON: Codable {
    let txid: String
    let coinbase: Bool
    let size: Int
    let inputs: [InputJSON]
    let outputs: [OutputJSON]

    init(_ tx: Transaction, txid: Hash256? = nil, network: Network) {
        let id = txid ?? tx.txid
        self.txid = id.hex
        coinbase = tx.isCoinbase
        size = tx.encoded.count
        inputs = tx.inputs.map {
            InputJSON(
                txid: $0.previous.txid.hex, index: $0.previous.index,
                address: Address(hash: AddressHash(publicKey: $0.publicKey), network: network).string)
        }
        outputs = tx.outputs.enumerated().map {
            OutputJSON(
                index: UInt32($0.offset), amount: AmountJSON($0.element.amount),
                address: Address(hash: $0.element.addressHash, network: network).string)
        }
    }
}

struct BlockJSON: ResponseEncodable {
    let hash: String
    let height: UInt64
    let previousHash: String
    let merkleRoot: String
    let timestamp: UInt64
    let target: String
    let nonce: UInt64
    let size: Int
    let inActiveChain: Bool
    let confirmations: UInt64
    let transactions: [TransactionJSON]
}

struct TransactionLookupJSON: ResponseEncodable {
    let status: String
    let blockHash: String?
    let blockHeight: UInt64?
    let confirmations: UInt64
    let fee: AmountJSON?
    let transaction: TransactionJSON
}

struct BalanceJSON: ResponseEncodable {
    let address: String
    let balance: AmountJSON
    let utxoCount: Int
}

struct UTXOJSON: Codable {
    let txid: String
    let index: UInt32
    let amount: AmountJSON
    let height: UInt64
    let coinbase: Bool
    let spendable: Bool
    let spentInMempool: Bool
}

struct UTXOPageJSON: ResponseEncodable {
    let address: String
    let utxos: [UTXOJSON]
    let next: String?
}

struct MempoolJSON: ResponseEncodable {
    struct Entry: Codable {
        let txid: String
        let fee: AmountJSON
        let size: Int
        let feeRate: Double
    }
    let transactions: Int
    let bytes: Int
    let entries: [Entry]
}

struct TemplateJSON: ResponseEncodable {
    let height: UInt64
    let previousHash: String
    let target: String
    let minimumTimestamp: UInt64
    let generation: UInt64
    let transactions: Int
    let fees: AmountJSON
    let payTo: String
    let headerHex: String
    let blockHex: String
}

struct HexBody: Decodable {
    let hex: String
}

struct StartBody: Decodable {
    let threads: Int?
}

/// `POST /v1/mining/template`: who the coinbase pays (default: the node's own address).
struct TemplateBody: Decodable {
    let address: String?
}

struct TxidJSON: ResponseEncodable {
    let txid: String
}

struct SubmittedBlockJSON: ResponseEncodable {
    let hash: String
    let height: UInt64
    let status: String
}

struct StopJSON: ResponseEncodable {
    let mining: MiningJSON
    let stopSeconds: Double
}

struct HealthJSON: ResponseEncodable {
    let status: String
    let phase: String
}

struct ReadyJSON: ResponseEncodable {
    let ready: Bool
    let phase: String
    let reasons: [String]
}
