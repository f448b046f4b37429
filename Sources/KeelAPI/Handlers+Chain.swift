import Hummingbird
import KeelAPIModels
import KeelChain
import KeelCore
import KeelStorage

extension Handlers {
    func block(_ id: String) throws -> API.Block {
        let chain = try chain()
        let hash: Hash256
        if !id.isEmpty, id.count <= 20, id.allSatisfy(\.isASCII), id.allSatisfy(\.isNumber) {
            guard let height = UInt64(id), let found = try chain.store.hash(atHeight: height) else {
                throw APIError.notFound("block_not_found", "no block at height \(id) on the active chain")
            }
            hash = found
        } else {
            hash = try self.hash(id, what: "block_id")
        }
        guard let block = try chain.store.block(hash) else {
            throw APIError.notFound("block_not_found", "no block \(hash)")
        }
        let height = block.header.height
        let active = try chain.store.hash(atHeight: height) == hash
        let tip = chain.tip.height
        return API.Block(
            hash: hash.hex, height: height, previousHash: block.header.previousHash.hex,
            merkleRoot: block.header.merkleRoot.hex, timestamp: block.header.timestamp,
            target: block.header.target.description, nonce: block.header.nonce, size: block.encoded.count,
            inActiveChain: active, confirmations: active ? tip - height + 1 : 0,
            transactions: block.transactions.map { API.Transaction($0, network: network) })
    }

    func transaction(_ text: String) throws -> API.TransactionLookup {
        let chain = try chain()
        let txid = try hash(text, what: "txid")
        if let entry = chain.mempoolEntry(txid) {
            return API.TransactionLookup(
                status: "mempool", blockHash: nil, blockHeight: nil, confirmations: 0,
                fee: API.Amount(entry.fee), transaction: API.Transaction(entry.tx, txid: txid, network: network))
        }
        guard let location = try chain.store.txLocation(txid), let block = try chain.store.block(location.blockHash),
            Int(location.index) < block.transactions.count
        else {
            throw APIError.notFound("transaction_not_found", "no transaction \(txid) in the mempool or the active chain")
        }
        let height = block.header.height
        return API.TransactionLookup(
            status: "confirmed", blockHash: location.blockHash.hex, blockHeight: height,
            confirmations: chain.tip.height - height + 1, fee: nil,
            transaction: API.Transaction(block.transactions[Int(location.index)], txid: txid, network: network))
    }

    func balance(_ text: String) throws -> API.Balance {
        let chain = try chain()
        let owner = try address(text)
        let balance = try chain.balance(of: owner.hash)
        return API.Balance(address: owner.string, balance: API.Amount(balance.amount), utxoCount: balance.count)
    }

    func utxos(_ text: String, query: Parameters) throws -> API.UTXOPage {
        let chain = try chain()
        let owner = try address(text)
        let pageSize = try limit(query, default: 100, max: 1_000)
        var after: OutPoint?
        if let cursor = query.get("after") {
            let parts = cursor.split(separator: ":")
            guard parts.count == 2, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                let txid = Hash256(hex: String(parts[0])), let index = UInt32(parts[1])
            else {
                throw APIError.badRequest("bad_cursor", "after must be 'txid:index' as returned in 'next'")
            }
            after = OutPoint(txid: txid, index: index)
        }
        let page = try chain.unspent(of: owner.hash, after: after, limit: pageSize + 1)
        let tipHeight = chain.tip.height
        let shown = page.prefix(pageSize)
        let utxos = shown.map { outpoint, entry in
            API.UTXO(
                txid: outpoint.txid.hex, index: outpoint.index, amount: API.Amount(entry.output.amount), height: entry.height,
                coinbase: entry.isCoinbase,
                spendable: !entry.isCoinbase || tipHeight + 1 >= entry.height + network.coinbaseMaturity,
                spentInMempool: chain.mempoolSpender(of: outpoint) != nil)
        }
        let next = page.count > pageSize ? shown.last.map { "\($0.0.txid.hex):\($0.0.index)" } : nil
        return API.UTXOPage(address: owner.string, utxos: utxos, next: next)
    }

    func mempool(query: Parameters) throws -> API.Mempool {
        let chain = try chain()
        let pageSize = try limit(query, default: 100, max: 10_000)
        let entries = chain.mempoolEntries
        let size = chain.mempoolSize
        return API.Mempool(
            transactions: size.count, bytes: size.bytes,
            entries: entries.prefix(pageSize).map {
                API.Mempool.Entry(txid: $0.txid.hex, fee: API.Amount($0.fee), size: $0.size, feeRate: $0.feeRate)
            })
    }

    func template(_ body: API.TemplateBody) throws -> API.Template {
        let chain = try chain()
        let payTo = try body.address.map { try address($0).hash } ?? backend.defaultPayTo
        let template = try chain.blockTemplate(payTo: payTo)
        let block = template.block(nonce: 0, timestamp: template.header.timestamp)
        return API.Template(
            height: template.header.height, previousHash: template.header.previousHash.hex,
            target: template.header.target.description, minimumTimestamp: template.minimumTimestamp,
            generation: template.generation, transactions: template.transactions.count,
            fees: API.Amount(template.fees), payTo: Address(hash: payTo, network: network).string,
            headerHex: Hex.encode(block.header.encoded), blockHex: Hex.encode(block.encoded))
    }
}
