import KeelCore

extension API {
    /// A transaction as the API shows it: ids and addresses, not its encoding.
    public struct Transaction: Codable, Sendable, Equatable {
        /// What an input spends, and who signed for it.
        public struct Input: Codable, Sendable, Equatable {
            /// The spent output.
            public let txid: String, index: UInt32
            /// The address of the signing key.
            public let address: String
        }
        /// One output: `txid:index` is what a spender names.
        public struct Output: Codable, Sendable, Equatable {
            /// Its position: what a spender names.
            public let index: UInt32
            /// What it pays, and to whom.
            public let amount: Amount, address: String
        }
        /// The transaction's id (hex).
        public let txid: String
        /// Whether it is its block's coinbase (no inputs).
        public let coinbase: Bool
        /// Encoded bytes.
        public let size: Int
        /// Inputs in order.
        public let inputs: [Input]
        /// Outputs in order.
        public let outputs: [Output]

        /// The wire form of `tx` on `network`; `txid` saves hashing it again when known.
        public init(_ tx: KeelCore.Transaction, txid: Hash256? = nil, network: Network) {
            self.txid = (txid ?? tx.txid).hex
            coinbase = tx.isCoinbase
            size = tx.encoded.count
            inputs = tx.inputs.map {
                Input(
                    txid: $0.previous.txid.hex, index: $0.previous.index,
                    address: Address(hash: AddressHash(publicKey: $0.publicKey), network: network).string)
            }
            outputs = tx.outputs.enumerated().map {
                Output(
                    index: UInt32($0.offset), amount: Amount($0.element.amount),
                    address: Address(hash: $0.element.addressHash, network: network).string)
            }
        }
    }

    /// `GET /v1/blocks/{id}`, by hash or active-chain height.
    public struct Block: Codable, Sendable, Equatable {
        /// The block's hash and height.
        public let hash: String, height: UInt64
        /// Header fields (hashes as hex, the target as a decimal integer).
        public let previousHash: String, merkleRoot: String, timestamp: UInt64, target: String, nonce: UInt64
        /// Encoded bytes.
        public let size: Int
        /// False for a block on a side branch (it then has no confirmations).
        public let inActiveChain: Bool
        /// 1 for the tip.
        public let confirmations: UInt64
        /// Its transactions, coinbase first.
        public let transactions: [Transaction]

        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(
            hash: String, height: UInt64, previousHash: String, merkleRoot: String, timestamp: UInt64, target: String, nonce: UInt64,
            size: Int, inActiveChain: Bool, confirmations: UInt64, transactions: [Transaction]
        ) {
            (self.hash, self.height, self.previousHash, self.merkleRoot) = (hash, height, previousHash, merkleRoot)
            (self.timestamp, self.target, self.nonce, self.size) = (timestamp, target, nonce, size)
            (self.inActiveChain, self.confirmations, self.transactions) = (inActiveChain, confirmations, transactions)
        }
    }

    /// `GET /v1/transactions/{txid}`: a transaction in the mempool or the active chain.
    public struct TransactionLookup: Codable, Sendable, Equatable {
        /// `mempool` or `confirmed`.
        public let status: String
        /// Where it was confirmed; absent in the mempool.
        public let blockHash: String?, blockHeight: UInt64?
        /// 0 in the mempool.
        public let confirmations: UInt64
        /// Known for mempool entries only (confirmed ones would need their inputs' history).
        public let fee: Amount?
        /// The transaction, with its inputs' addresses resolved.
        public let transaction: Transaction

        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(
            status: String, blockHash: String?, blockHeight: UInt64?, confirmations: UInt64, fee: Amount?, transaction: Transaction
        ) {
            (self.status, self.blockHash, self.blockHeight) = (status, blockHash, blockHeight)
            (self.confirmations, self.fee, self.transaction) = (confirmations, fee, transaction)
        }
    }

    /// `GET /v1/addresses/{address}/balance`: confirmed outputs only (the mempool is not counted).
    public struct Balance: Codable, Sendable, Equatable {
        /// The address as the node spells it.
        public let address: String
        /// The sum of its unspent outputs.
        public let balance: Amount
        /// How many unspent outputs that is.
        public let utxoCount: Int
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(address: String, balance: Amount, utxoCount: Int) {
            (self.address, self.balance, self.utxoCount) = (address, balance, utxoCount)
        }
    }

    /// One unspent output of an address.
    public struct UTXO: Codable, Sendable, Equatable {
        /// The output's transaction and position.
        public let txid: String, index: UInt32
        /// What it holds.
        public let amount: Amount
        /// The height of the block that created it.
        public let height: UInt64
        /// A coinbase output is spendable only after the network's maturity.
        public let coinbase: Bool, spendable: Bool
        /// Already spent by a transaction waiting in the mempool: a wallet must not pick it.
        public let spentInMempool: Bool
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(txid: String, index: UInt32, amount: Amount, height: UInt64, coinbase: Bool, spendable: Bool, spentInMempool: Bool) {
            (self.txid, self.index, self.amount, self.height) = (txid, index, amount, height)
            (self.coinbase, self.spendable, self.spentInMempool) = (coinbase, spendable, spentInMempool)
        }
    }

    /// `GET /v1/addresses/{address}/utxos?limit=&after=`: one page, in outpoint order.
    public struct UTXOPage: Codable, Sendable, Equatable {
        /// The address as the node spells it.
        public let address: String
        /// At most `limit` (default 100, at most 1000).
        public let utxos: [UTXO]
        /// `txid:index` to pass as `after` for the next page; absent on the last.
        public let next: String?
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(address: String, utxos: [UTXO], next: String?) { (self.address, self.utxos, self.next) = (address, utxos, next) }
    }

    /// `GET /v1/mempool?limit=`: its size, and the entries in the order a miner takes them.
    public struct Mempool: Codable, Sendable, Equatable {
        /// One waiting transaction.
        public struct Entry: Codable, Sendable, Equatable {
            /// Its id, what it pays the miner, and its encoded size.
            public let txid: String, fee: Amount, size: Int
            /// Base units per byte.
            public let feeRate: Double
            /// Memberwise; nothing is checked here (the handler checks before it builds one).
            public init(txid: String, fee: Amount, size: Int, feeRate: Double) {
                (self.txid, self.fee, self.size, self.feeRate) = (txid, fee, size, feeRate)
            }
        }
        /// All of the mempool, however many entries are listed.
        public let transactions: Int, bytes: Int
        /// At most `limit` (default 100, at most 10000).
        public let entries: [Entry]
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(transactions: Int, bytes: Int, entries: [Entry]) {
            (self.transactions, self.bytes, self.entries) = (transactions, bytes, entries)
        }
    }

    /// `POST /v1/mining/template`: who the coinbase pays (default: the node's own address).
    public struct TemplateBody: Codable, Sendable, Equatable {
        /// An address of the node's network.
        public let address: String?
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(address: String?) { self.address = address }
    }

    /// A block template for an external miner: grind `header_hex`'s nonce below `target`.
    public struct Template: Codable, Sendable, Equatable {
        /// The height the block would have, and its parent.
        public let height: UInt64, previousHash: String
        /// The proof-of-work target as a decimal integer.
        public let target: String
        /// The earliest timestamp (ms) the block may carry.
        public let minimumTimestamp: UInt64
        /// Bumped whenever the template changes (a new tip or new transactions).
        public let generation: UInt64
        /// Transactions included besides the coinbase, and their fees.
        public let transactions: Int, fees: Amount
        /// Who the coinbase pays.
        public let payTo: String
        /// The header with nonce 0, and the whole block, as hex.
        public let headerHex: String, blockHex: String
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(
            height: UInt64, previousHash: String, target: String, minimumTimestamp: UInt64, generation: UInt64, transactions: Int,
            fees: Amount, payTo: String, headerHex: String, blockHex: String
        ) {
            (self.height, self.previousHash, self.target, self.minimumTimestamp) = (height, previousHash, target, minimumTimestamp)
            (self.generation, self.transactions, self.fees, self.payTo) = (generation, transactions, fees, payTo)
            (self.headerHex, self.blockHex) = (headerHex, blockHex)
        }
    }

    /// `POST /v1/transactions`: the accepted transaction's id.
    public struct Txid: Codable, Sendable, Equatable {
        /// Hex.
        public let txid: String
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(txid: String) { self.txid = txid }
    }

    /// `POST /v1/mining/submit`: what became of the block.
    public struct SubmittedBlock: Codable, Sendable, Equatable {
        /// The block's hash and height.
        public let hash: String, height: UInt64
        /// `connected`, `side_branch` or `duplicate`.
        public let status: String
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(hash: String, height: UInt64, status: String) { (self.hash, self.height, self.status) = (hash, height, status) }
    }
}
