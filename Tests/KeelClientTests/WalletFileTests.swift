import Crypto
import Foundation
import KeelCore
import KeelTesting
import Testing

@testable import KeelClient

@Suite("wallet file: keys open with the passphrase, and damage is named, never read as no keys", .keepsArtifacts)
struct WalletFileTests {
    static let passphrase = "correct horse"

    @Test("a new wallet holds one key for its one address; the wrong passphrase is refused by name")
    func roundTrip() throws {
        let dir = TemporaryDirectory("wallet")
        let wallet = try Wallet.create(path: dir.appending("wallet.json"), network: .dev, passphrase: Self.passphrase, logN: 10)
        let keys = try Wallet.open(path: wallet.path).keys(passphrase: Self.passphrase)
        #expect(keys.count == 1)
        #expect(wallet.addresses == [Address(hash: keys[0].addressHash, network: .dev).string])
        let error = #expect(throws: WalletError.self) { try wallet.keys(passphrase: "wrong horse") }
        #expect(error?.message.hasPrefix("wrong passphrase") == true)
    }

    @Test("sealed keys that open but do not decode are 'damaged', not an empty wallet (the 0.00 balance)")
    func damagedKeysAreNamed() throws {
        let dir = TemporaryDirectory("wallet")
        let path = dir.appending("wallet.json")
        _ = try Wallet.create(path: path, network: .dev, passphrase: Self.passphrase, logN: 10)
        // Re-seal something other than a list of seeds under the right key.
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let kdf = try #require(json["kdf"] as? [String: Any])
        let salt = try #require(kdf["salt"] as? String)
        let key = try Wallet.derive(
            passphrase: Self.passphrase, salt: try #require(Hex.decode(salt)), kdf: .init(logN: 10, r: 8, p: 1, salt: salt))
        json["sealed_keys"] = Hex.encode(Array(try ChaChaPoly.seal(Data("{\"not\":\"seeds\"}".utf8), using: key).combined))
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: WalletError.self) { try Wallet.open(path: path).keys(passphrase: Self.passphrase) }
        #expect(error?.message.contains("is damaged: its keys do not decode") == true, "\(String(describing: error))")
    }
}
