import Crypto
import Foundation
import KeelCore
import KeelTesting
import Testing

@testable import KeelWallet

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

@Suite("wallet file format: what is in clear, what is sealed, and what is refused", .keepsArtifacts)
struct WalletFileFormatTests {
    @Test("mode 0600, addresses and the KDF in clear, no seed in clear, and the passphrase nowhere")
    func layout() throws {
        let dir = TemporaryDirectory("wallet")
        let wallet = try Wallet.create(path: dir.appending("wallet.json"), network: .dev, passphrase: WalletFileTests.passphrase, logN: 10)
        var info = stat()
        #expect(stat(wallet.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let text = try String(contentsOfFile: wallet.path, encoding: .utf8)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(json["version"] as? Int == 1)
        #expect(json["cipher"] as? String == "chacha20-poly1305")
        #expect((json["kdf"] as? [String: Any])?["name"] as? String == "scrypt")
        #expect(json["addresses"] as? [String] == wallet.addresses)
        let seed = Hex.encode(try #require(try wallet.keys(passphrase: WalletFileTests.passphrase).first).seed)
        #expect(!text.contains(seed))
        #expect(!text.contains(WalletFileTests.passphrase))
    }

    @Test("an existing file is never overwritten, a short passphrase and a loose mode are refused")
    func refusals() throws {
        let dir = TemporaryDirectory("wallet")
        let path = dir.appending("wallet.json")
        _ = try Wallet.create(path: path, network: .dev, passphrase: WalletFileTests.passphrase, logN: 10)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let exists = #expect(throws: WalletError.self) {
            try Wallet.create(path: path, network: .dev, passphrase: WalletFileTests.passphrase, logN: 10)
        }
        #expect(exists?.code == .exists)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let short = #expect(throws: WalletError.self) { try Wallet.create(path: dir.appending("b.json"), network: .dev, passphrase: "short") }
        #expect(short?.code == .passphrase)
        chmod(path, 0o644)
        let loose = #expect(throws: WalletError.self) { try Wallet.open(path: path) }
        #expect(loose?.message.contains("chmod 600") == true)
        let missing = #expect(throws: WalletError.self) { try Wallet.open(path: dir.appending("none.json")) }
        #expect(missing?.code == .file)
    }
}
