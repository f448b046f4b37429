import KeelAPIModels
import KeelCore
import KeelWallet
import Testing

@Suite("coin selection: largest first, exact amounts, too little money, and outputs not to pick")
struct CoinSelectionTests {
    static func coin(_ units: UInt64, index: UInt32 = 0, address: String = "a") -> CoinSelection.Coin {
        CoinSelection.Coin(outpoint: OutPoint(txid: Hash256.zero, index: index), amount: Amount(units: units), address: address)
    }

    static let coins = [coin(30, index: 0), coin(100, index: 1), coin(50, index: 2)]

    @Test("largest first: the fewest inputs that cover amount plus fee, the rest back as change")
    func largestFirst() throws {
        let s = try CoinSelection.select(from: Self.coins, paying: Amount(units: 110), fee: Amount(units: 5))
        #expect(s.inputs.map(\.outpoint.index) == [1, 2])
        #expect(s.change == Amount(units: 35))
    }

    @Test("an amount plus fee that uses every unit leaves no change")
    func exactAmount() throws {
        let s = try CoinSelection.select(from: Self.coins, paying: Amount(units: 170), fee: Amount(units: 10))
        #expect(s.inputs.count == 3)
        #expect(s.change == .zero)
        let one = try CoinSelection.select(from: Self.coins, paying: Amount(units: 99), fee: Amount(units: 1))
        #expect(one.inputs.map(\.outpoint.index) == [1])
        #expect(one.change == .zero)
    }

    @Test("too little money names what is needed and what is spendable; the fee counts")
    func insufficientFunds() {
        let error = #expect(throws: WalletError.self) {
            try CoinSelection.select(from: Self.coins, paying: Amount(units: 180), fee: Amount(units: 1))
        }
        #expect(error?.code == .insufficientFunds)
        #expect(error?.message.contains("needs 0.00000181") == true, "\(String(describing: error))")
        #expect(error?.message.contains("only 0.00000180 is spendable") == true)
        #expect(throws: WalletError.self) { try CoinSelection.select(from: [], paying: Amount(units: 1), fee: .zero) }
    }

    @Test("a zero amount, and an amount plus fee beyond the money supply, are refused")
    func refusedRequests() {
        let zero = #expect(throws: WalletError.self) { try CoinSelection.select(from: Self.coins, paying: .zero, fee: Amount(units: 1)) }
        #expect(zero?.code == .request)
        let huge = Amount(units: UInt64.max / 2)
        let overflow = #expect(throws: WalletError.self) { try CoinSelection.select(from: Self.coins, paying: huge, fee: huge) }
        #expect(overflow?.code == .request)
    }

    @Test("outputs a node reports as worth more than the money supply are an error, not an overflow")
    func hostileAmounts() {
        let error = #expect(throws: WalletError.self) {
            try CoinSelection.select(from: [Self.coin(UInt64.max), Self.coin(UInt64.max, index: 1)], paying: Amount(units: 1), fee: .zero)
        }
        #expect(error?.code == .request)
    }

    @Test("immature coinbases, outputs a mempool transaction spends, and unparsable txids are not coins")
    func notCandidates() {
        let hash = String(repeating: "ab", count: 32)
        func utxo(spendable: Bool, spentInMempool: Bool, txid: String = hash) -> API.UTXO {
            API.UTXO(
                txid: txid, index: 3, amount: API.Amount(Amount(units: 9)), height: 1, coinbase: true, spendable: spendable,
                spentInMempool: spentInMempool)
        }
        #expect(CoinSelection.Coin(address: "a", utxo: utxo(spendable: false, spentInMempool: false)) == nil)
        #expect(CoinSelection.Coin(address: "a", utxo: utxo(spendable: true, spentInMempool: true)) == nil)
        #expect(CoinSelection.Coin(address: "a", utxo: utxo(spendable: true, spentInMempool: false, txid: "zz")) == nil)
        let coin = CoinSelection.Coin(address: "a", utxo: utxo(spendable: true, spentInMempool: false))
        #expect(coin?.outpoint == OutPoint(txid: Hash256(hex: hash)!, index: 3))
        #expect(coin?.amount == Amount(units: 9))
    }
}
