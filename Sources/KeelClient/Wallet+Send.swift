import Foundation
import KeelAPIModels
import KeelCore

extension Wallet {
    /// The outcome of a send.
    public struct Sent: Sendable {
        /// The transaction id.
        public let txid: String
        /// Inputs spent.
        public let inputs: Int
        /// Change returned to the wallet.
        public let change: Amount
    }

    /// Spendable outputs of every wallet address, largest first, skipping outputs that a
    /// pending mempool transaction already spends.
    public func spendable(using client: NodeClient) throws -> [(address: String, utxo: API.UTXO)] {
        try outputs(using: client).filter { $0.utxo.spendable && !$0.utxo.spentInMempool }
            .sorted { $0.utxo.amount.units > $1.utxo.amount.units }
    }

    /// Every unspent output of every wallet address, with the address it pays.
    public func outputs(using client: NodeClient) throws -> [(address: String, utxo: API.UTXO)] {
        try addresses.flatMap { address in try client.allUTXOs(address).map { (address, $0) } }
    }

    /// Selects coins (largest first), builds, signs and submits a payment of `amount` to `to`
    /// with `fee`, change back to the first address. Insufficient funds is a clear error naming
    /// what is available.
    public mutating func send(
        to recipient: String, amount: Amount, fee: Amount, passphrase: String,
        using client: NodeClient
    ) throws -> Sent {
        let network = self.network
        let payee: Address
        do { payee = try Address(parsing: recipient, network: network) } catch {
            throw WalletError("cannot send to '\(recipient)': \(error.message)")
        }
        guard amount.units > 0 else { throw WalletError("the amount must be more than zero") }
        guard let needed = amount.adding(fee) else { throw WalletError("amount plus fee is more than the money supply") }
        let keys = try self.keys(passphrase: passphrase)
        let byAddress = Dictionary(uniqueKeysWithValues: keys.map { (Address(hash: $0.addressHash, network: network).string, $0) })
        let candidates = try spendable(using: client)
        var chosen = [(OutPoint, SigningKey)]()
        var total: UInt64 = 0
        for candidate in candidates where total < needed.units {
            guard let key = byAddress[candidate.address], let txid = Hash256(hex: candidate.utxo.txid) else { continue }
            chosen.append((OutPoint(txid: txid, index: candidate.utxo.index), key))
            total += candidate.utxo.amount.units
        }
        guard total >= needed.units else {
            let available = Amount(units: candidates.reduce(0) { $0 + $1.utxo.amount.units })
            throw WalletError("insufficient funds: sending \(amount) with fee \(fee) needs \(needed), but only \(available) is spendable")
        }
        var outputs = [TxOutput(amount: amount, addressHash: payee.hash)]
        let change = Amount(units: total - needed.units)
        if change.units > 0 {
            // Change to our first address; one that does not parse must stop the send, or the
            // change would go to the miner as fee.
            let own: Address
            do { own = try Address(parsing: addresses[0], network: network) } catch {
                throw WalletError("cannot send change to \(addresses[0]): \(error)")
            }
            outputs.append(TxOutput(amount: change, addressHash: own.hash))
        }
        var tx = Transaction(
            inputs: chosen.map { TxInput(previous: $0.0, publicKey: $0.1.publicKey, signature: [UInt8](repeating: 0, count: 64)) },
            outputs: outputs)
        tx.sign(with: chosen.map(\.1))
        let txid = try client.submitTransaction(hex: Hex.encode(tx.encoded))
        try record(
            File.Sent(
                txid: txid, to: payee.string, amount: amount.units, fee: fee.units,
                time: UInt64(Date().timeIntervalSince1970 * 1000)))
        return Sent(txid: txid, inputs: chosen.count, change: change)
    }
}
