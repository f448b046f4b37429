import KeelChain
import KeelCore
import KeelTesting
import Testing

@Suite("Balances from the address index", .ownThread, .keepsArtifacts)
struct WalletBalanceTests {
    @Test("7 UTXOs totalling 226.625 KEEL read exactly 226.62500000, whatever the address's case")
    func balance() throws {
        let a = try TestChain()
        try a.extend(15)
        let coins = try a.matureCoinbases().prefix(5)
        #expect(coins.count == 5)
        let recipient = SigningKey()
        let parts = ["100", "50", "25", "25", "12.5", "10", "4.125"].map { Amount(decimal: $0)! }
        let change = Amount(units: 250 * Amount.unitsPerCoin - parts.reduce(0) { $0 + $1.units })
        let tx = BlockFactory.spend(
            coins.map { ($0.0, a.miner) },
            to: parts.map { TxOutput(amount: $0, addressHash: recipient.addressHash) }
                + [TxOutput(amount: change, addressHash: a.miner.addressHash)])
        try a.chain.submitTransaction(tx)
        try a.chain.submit(a.makeBlock(transactions: [tx]), origin: .miner)

        let address = Address(hash: recipient.addressHash, network: .dev)
        for written in [address.string, address.string.uppercased()] {
            let parsed = try Address(parsing: written, network: .dev)
            let balance = try a.chain.balance(of: parsed.hash)
            #expect(balance.amount.decimalString == "226.62500000")
            #expect(balance.count == 7)
        }
        #expect(try a.chain.unspent(of: recipient.addressHash).count == 7)
    }
}
