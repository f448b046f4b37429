import KeelAPIModels
import KeelCore

/// Which outputs pay for a payment, and what comes back as change.
///
/// Largest first: the fewest inputs, so the smallest transaction for a given fee, at the cost of
/// leaving small outputs for later. Outputs that cannot be spent now are never candidates: an
/// immature coinbase, or one a transaction waiting in the mempool already spends (picking it would
/// be refused by the node as a double spend).
public struct CoinSelection: Sendable, Equatable {
    /// An output the wallet can spend.
    public struct Coin: Sendable, Equatable {
        /// What to name in the input.
        public let outpoint: OutPoint
        /// What it holds.
        public let amount: Amount
        /// The wallet address it pays: which key signs for it.
        public let address: String

        /// A coin.
        public init(outpoint: OutPoint, amount: Amount, address: String) {
            (self.outpoint, self.amount, self.address) = (outpoint, amount, address)
        }

        /// The coin of `utxo`, or nil when it is not spendable now (or its txid does not parse).
        public init?(address: String, utxo: API.UTXO) {
            guard utxo.spendable, !utxo.spentInMempool, let txid = Hash256(hex: utxo.txid) else { return nil }
            self.init(outpoint: OutPoint(txid: txid, index: utxo.index), amount: Amount(units: utxo.amount.units), address: address)
        }
    }

    /// The coins to spend, largest first.
    public let inputs: [Coin]
    /// What the inputs hold beyond the amount and the fee: 0 means no change output.
    public let change: Amount

    /// Selects from `coins` to pay `amount` plus `fee`. Refuses a zero amount, a sum that
    /// overflows the money supply, and too little money (naming what is spendable).
    public static func select(from coins: [Coin], paying amount: Amount, fee: Amount) throws -> CoinSelection {
        guard amount.units > 0 else { throw WalletError(.request, "the amount must be more than zero") }
        guard let needed = amount.adding(fee) else { throw WalletError(.request, "amount plus fee is more than the money supply") }
        // The amounts come from the node's answer: sums are checked against the money supply, so
        // a wrong answer is an error, never an overflow.
        let candidates = coins.sorted { $0.amount.units > $1.amount.units }
        guard let available = candidates.reduce(Amount.zero as Amount?, { $0?.adding($1.amount) }) else {
            throw WalletError(.request, "the node reported spendable outputs worth more than the money supply")
        }
        var chosen = [Coin]()
        var total = Amount.zero
        for coin in candidates where total.units < needed.units {
            chosen.append(coin)
            total = total.adding(coin.amount) ?? available
        }
        guard total.units >= needed.units else {
            throw WalletError(
                .insufficientFunds, "insufficient funds: sending \(amount) with fee \(fee) needs \(needed), but only \(available) is spendable")
        }
        return CoinSelection(inputs: chosen, change: Amount(units: total.units - needed.units))
    }
}
