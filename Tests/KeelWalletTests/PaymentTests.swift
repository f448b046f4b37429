import KeelCore
import KeelTesting
import Testing

@testable import KeelWallet

@Suite("payments: outputs, fee, change and signatures", .keepsArtifacts)
struct PaymentTests {
    static let passphrase = "correct horse"

    /// A wallet with its key, and coins of its address worth `units`.
    static func funded(_ units: [UInt64], in dir: TemporaryDirectory) throws -> (Wallet, SigningKey, [CoinSelection.Coin]) {
        let wallet = try Wallet.create(path: dir.appending("wallet.json"), network: .dev, passphrase: passphrase, logN: 10)
        let key = try #require(try wallet.keys(passphrase: passphrase).first)
        let coins = units.enumerated().map {
            CoinSelection.Coin(
                outpoint: OutPoint(txid: Hash256.sha256d([UInt8($0.offset)]), index: 0), amount: Amount(units: $0.element),
                address: wallet.addresses[0])
        }
        return (wallet, key, coins)
    }

    static let payee = Address(hash: SigningKey().addressHash, network: .dev).string

    @Test("pays the payee, returns change to the first address, and the fee is what is left over")
    func outputsFeeAndChange() throws {
        let dir = TemporaryDirectory("payment")
        let (wallet, key, coins) = try Self.funded([5_000, 20_000], in: dir)
        let payment = try wallet.payment(to: Self.payee, amount: Amount(units: 12_000), fee: Amount(units: 300), keys: [key], coins: coins)
        let tx = payment.transaction
        #expect(tx.inputs.map(\.previous) == [coins[1].outpoint])
        #expect(tx.outputs.count == 2)
        #expect(tx.outputs[0] == TxOutput(amount: Amount(units: 12_000), addressHash: payment.payee.hash))
        #expect(tx.outputs[1] == TxOutput(amount: Amount(units: 7_700), addressHash: key.addressHash))
        #expect(20_000 - (tx.outputTotal?.units ?? 0) == 300)
    }

    @Test("an exact amount has no change output")
    func noChangeOutput() throws {
        let dir = TemporaryDirectory("payment")
        let (wallet, key, coins) = try Self.funded([5_000, 20_000], in: dir)
        let payment = try wallet.payment(to: Self.payee, amount: Amount(units: 24_000), fee: Amount(units: 1_000), keys: [key], coins: coins)
        #expect(payment.transaction.inputs.count == 2)
        #expect(payment.transaction.outputs.count == 1)
        #expect(payment.selection.change == .zero)
    }

    @Test("every input carries a signature that verifies over the transaction's signature hash")
    func signaturesVerify() throws {
        let dir = TemporaryDirectory("payment")
        let (wallet, key, coins) = try Self.funded([5_000, 6_000, 7_000], in: dir)
        let payment = try wallet.payment(to: Self.payee, amount: Amount(units: 15_000), fee: Amount(units: 100), keys: [key], coins: coins)
        let jobs = ConsensusRules.signatureJobs(for: payment.transaction)
        #expect(jobs.count == 3)
        #expect(jobs.allSatisfy { $0.verify() })
        let paid = payment.transaction
        let tampered = Transaction(
            inputs: paid.inputs, outputs: [TxOutput(amount: Amount(units: 15_001), addressHash: paid.outputs[0].addressHash)] + paid.outputs.dropFirst())
        #expect(!ConsensusRules.signatureJobs(for: tampered).allSatisfy { $0.verify() })
    }

    @Test("coins of addresses this wallet has no key for are not spent")
    func foreignCoinsSkipped() throws {
        let dir = TemporaryDirectory("payment")
        let (wallet, key, coins) = try Self.funded([5_000], in: dir)
        let foreign = CoinSelection.Coin(outpoint: OutPoint(txid: Hash256.zero, index: 9), amount: Amount(units: 90_000), address: Self.payee)
        let error = #expect(throws: WalletError.self) {
            try wallet.payment(to: Self.payee, amount: Amount(units: 8_000), fee: .zero, keys: [key], coins: coins + [foreign])
        }
        #expect(error?.code == .insufficientFunds)
    }

    @Test("an address of another network, or one that does not parse, is refused before anything is signed")
    func badPayee() throws {
        let dir = TemporaryDirectory("payment")
        let (wallet, key, coins) = try Self.funded([5_000], in: dir)
        let mainAddress = Address(hash: key.addressHash, network: .main).string
        for payee in [mainAddress, "not-an-address"] {
            let error = #expect(throws: WalletError.self) {
                try wallet.payment(to: payee, amount: Amount(units: 1_000), fee: .zero, keys: [key], coins: coins)
            }
            #expect(error?.code == .request)
            #expect(error?.message.hasPrefix("cannot send to") == true)
        }
    }
}
