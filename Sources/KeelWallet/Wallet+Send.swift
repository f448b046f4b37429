import Foundation
import KeelAPIModels
import KeelClient
import KeelCore

extension Wallet {
    /// The outcome of a send.
    public struct Sent: Sendable {
        /// The transaction's id, as the node accepted it.
        public let txid: String
        /// How many outputs it spent.
        public let inputs: Int
        /// What went back to the wallet's first address (0: no change output).
        public let change: Amount
    }

    /// A payment built and signed, not yet sent.
    public struct Payment: Sendable {
        /// Inputs from the selected coins, outputs to the payee and, when there is change, to the
        /// wallet's first address; every input signed.
        public let transaction: Transaction
        /// The payee, parsed.
        public let payee: Address
        /// What was selected.
        public let selection: CoinSelection
    }

    /// Every unspent output of every wallet address, with the address it pays.
    public func outputs(using client: NodeClient) throws -> [(address: String, utxo: API.UTXO)] {
        try addresses.flatMap { address in try client.allUTXOs(address).map { (address, $0) } }
    }

    /// The outputs a payment may spend now (see `CoinSelection.Coin`).
    public func coins(using client: NodeClient) throws -> [CoinSelection.Coin] {
        try outputs(using: client).compactMap { CoinSelection.Coin(address: $0.address, utxo: $0.utxo) }
    }

    /// Builds and signs a payment of `amount` to `recipient` with `fee`, from `coins` signed by
    /// `keys`. Coins of addresses with no key here are not candidates. Change goes to the first
    /// address; one that does not parse stops the payment (the change would go to the miner).
    public func payment(to recipient: String, amount: Amount, fee: Amount, keys: [SigningKey], coins: [CoinSelection.Coin]) throws -> Payment {
        let network = self.network
        let payee: Address
        do { payee = try Address(parsing: recipient, network: network) } catch {
            throw WalletError(.request, "cannot send to '\(recipient)': \(error.message)")
        }
        let byAddress = Dictionary(keys.map { (Address(hash: $0.addressHash, network: network).string, $0) }) { first, _ in first }
        let selection = try CoinSelection.select(from: coins.filter { byAddress[$0.address] != nil }, paying: amount, fee: fee)
        var outputs = [TxOutput(amount: amount, addressHash: payee.hash)]
        if selection.change.units > 0 {
            let own: Address
            do { own = try Address(parsing: addresses.first ?? "", network: network) } catch {
                throw WalletError(.damaged, "cannot send change to '\(addresses.first ?? "")': \(error.message)")
            }
            outputs.append(TxOutput(amount: selection.change, addressHash: own.hash))
        }
        let signers = selection.inputs.compactMap { byAddress[$0.address] }
        var tx = Transaction(
            inputs: zip(selection.inputs, signers).map {
                TxInput(previous: $0.outpoint, publicKey: $1.publicKey, signature: [UInt8](repeating: 0, count: 64))
            },
            outputs: outputs)
        tx.sign(with: signers)
        return Payment(transaction: tx, payee: payee, selection: selection)
    }

    /// Selects coins, builds, signs and submits a payment of `amount` to `to` with `fee`, and
    /// records it in the wallet file. Insufficient funds is a clear error naming what is available.
    public mutating func send(to recipient: String, amount: Amount, fee: Amount, passphrase: String, using client: NodeClient) throws -> Sent {
        let keys = try self.keys(passphrase: passphrase)
        let payment = try self.payment(to: recipient, amount: amount, fee: fee, keys: keys, coins: try coins(using: client))
        let txid = try client.submitTransaction(hex: Hex.encode(payment.transaction.encoded))
        try record(
            File.Sent(
                txid: txid, to: payment.payee.string, amount: amount.units, fee: fee.units,
                time: UInt64(Date().timeIntervalSince1970 * 1000)))
        return Sent(txid: txid, inputs: payment.selection.inputs.count, change: payment.selection.change)
    }
}
