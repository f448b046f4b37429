import Crypto
import Foundation
import KeelCore
import KeelFiles

/// A wallet file: Ed25519 keys sealed with ChaCha20-Poly1305 under a key derived from the
/// passphrase with scrypt (memory-hard), plus the addresses in clear so balances can be read
/// without the passphrase. Written with mode 0600; never printed.
public struct Wallet: Sendable {
    /// A transaction this wallet sent.
    public struct SentRecord: Sendable {
        /// Its id.
        public let txid: String
        /// The recipient.
        public let to: String
        /// The amount sent.
        public let amount: Amount
        /// The fee paid.
        public let fee: Amount
        /// When (ms since the epoch).
        public let time: UInt64
    }

    /// Where the wallet lives.
    public let path: String
    var file: File

    /// The network the wallet's addresses belong to.
    public var network: Network { Network.named(file.network) ?? .dev }
    /// The wallet's addresses, first one first (receiving and change).
    public var addresses: [String] { file.addresses }
    /// What the wallet has sent, oldest first.
    public var sent: [SentRecord] {
        file.sent.map { SentRecord(txid: $0.txid, to: $0.to, amount: Amount(units: $0.amount), fee: Amount(units: $0.fee), time: $0.time) }
    }

    /// Creates a wallet with one key at `path` (which must not exist). `logN` is scrypt's cost
    /// (2^logN rounds, 8 x 128 x 2^logN bytes of memory; 15 means 32 MiB).
    public static func create(path: String, network: Network, passphrase: String, logN: Int = 15) throws -> Wallet {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw WalletError(.exists, "\(path) already exists; a wallet is never overwritten")
        }
        guard passphrase.count >= 8 else { throw WalletError(.passphrase, "the passphrase must be at least 8 characters") }
        guard (10...20).contains(logN) else { throw WalletError(.request, "the scrypt cost must be from 10 to 20") }
        let key = SigningKey()
        var salt = [UInt8](repeating: 0, count: 16)
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255) }
        var file = File(
            network: network.name, kdf: .init(logN: logN, r: 8, p: 1, salt: Hex.encode(salt)), sealedKeys: "",
            addresses: [Address(hash: key.addressHash, network: network).string])
        file.sealedKeys = try seal([key], passphrase: passphrase, kdf: file.kdf)
        let wallet = Wallet(path: path, file: file)
        try wallet.save(creating: true)
        return wallet
    }

    /// Reads the wallet at `path` (no passphrase needed for addresses and history).
    public static func open(path: String) throws -> Wallet {
        do { try AtomicFile.checkPrivate(path, what: "the wallet") } catch let failure as AtomicFile.Failure {
            throw WalletError(.file, failure.message)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WalletError(.file, "no wallet at \(path); create one with `keel wallet create`")
        }
        do {
            return Wallet(path: path, file: try JSONDecoder.snake.decode(File.self, from: data))
        } catch {
            throw WalletError(.file, "\(path) is not a Keel wallet file")
        }
    }

    /// The signing keys, decrypted with `passphrase`. A wrong passphrase is a clear error.
    public func keys(passphrase: String) throws -> [SigningKey] {
        guard let sealed = Hex.decode(file.sealedKeys), let salt = Hex.decode(file.kdf.salt) else {
            throw WalletError(.damaged, "\(path) is damaged: the sealed keys are not hex")
        }
        let key = try Wallet.derive(passphrase: passphrase, salt: salt, kdf: file.kdf)
        let plain: Data
        do { plain = try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: sealed), using: key) } catch {
            throw WalletError(.passphrase, "wrong passphrase for \(path)")
        }
        // A file that opens but does not decode is damaged: saying so, not answering with no
        // keys (a wallet showing 0.00 while its funds are on the chain).
        let seeds: [String]
        do { seeds = try JSONDecoder().decode([String].self, from: plain) } catch {
            throw WalletError(.damaged, "\(path) is damaged: its keys do not decode (\(error))")
        }
        do { return try seeds.map { try SigningKey(seed: Hex.decode($0) ?? []) } } catch {
            throw WalletError(.damaged, "\(path) is damaged: a key is not a valid Ed25519 seed")
        }
    }

    /// Records a sent transaction and saves the file.
    mutating func record(_ sent: File.Sent) throws {
        file.sent.append(sent)
        try save(creating: false)
    }
}
