import Crypto
import CryptoExtras
import Foundation
import KeelCore
import KeelFiles

/// A wallet file: Ed25519 keys sealed with ChaCha20-Poly1305 under a key derived from the
/// passphrase with scrypt (memory-hard), plus the addresses in clear so balances can be read
/// without the passphrase. Written with mode 0600; never printed.
public struct Wallet: Sendable {
    /// The file layout (JSON).
    struct File: Codable {
        struct KDF: Codable {
            var name = "scrypt"
            var logN: Int
            var r: Int
            var p: Int
            var salt: String
        }
        struct Sent: Codable {
            var txid: String
            var to: String
            var amount: UInt64
            var fee: UInt64
            var time: UInt64
        }
        var version = 1
        var network: String
        var kdf: KDF
        var cipher = "chacha20-poly1305"
        /// nonce, ciphertext and tag of the JSON array of hex seeds.
        var sealedKeys: String
        var addresses: [String]
        var sent: [Sent] = []
    }

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
            throw WalletError("\(path) already exists; a wallet is never overwritten")
        }
        guard passphrase.count >= 8 else { throw WalletError("the passphrase must be at least 8 characters") }
        guard (10...20).contains(logN) else { throw WalletError("the scrypt cost must be from 10 to 20") }
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
            throw WalletError(failure.message)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw WalletError("no wallet at \(path); create one with `keel wallet create`")
        }
        do {
            return Wallet(path: path, file: try JSONDecoder.snake.decode(File.self, from: data))
        } catch {
            throw WalletError("\(path) is not a Keel wallet file")
        }
    }

    /// The signing keys, decrypted with `passphrase`. A wrong passphrase is a clear error.
    public func keys(passphrase: String) throws -> [SigningKey] {
        guard let sealed = Hex.decode(file.sealedKeys), let salt = Hex.decode(file.kdf.salt) else {
            throw WalletError("\(path) is damaged: the sealed keys are not hex")
        }
        let key = try Wallet.derive(passphrase: passphrase, salt: salt, kdf: file.kdf)
        let plain: Data
        do { plain = try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: sealed), using: key) } catch {
            throw WalletError("wrong passphrase for \(path)")
        }
        // A file that opens but does not decode is damaged: saying so, not answering with no
        // keys (a wallet showing 0.00 while its funds are on the chain).
        let seeds: [String]
        do { seeds = try JSONDecoder().decode([String].self, from: plain) } catch {
            throw WalletError("\(path) is damaged: its keys do not decode (\(error))")
        }
        return try seeds.map { try SigningKey(seed: Hex.decode($0) ?? []) }
    }

    /// Records a sent transaction and saves the file.
    mutating func record(_ sent: File.Sent) throws {
        file.sent.append(sent)
        try save(creating: false)
    }

    static func seal(_ keys: [SigningKey], passphrase: String, kdf: File.KDF) throws -> String {
        let key = try derive(passphrase: passphrase, salt: Hex.decode(kdf.salt) ?? [], kdf: kdf)
        let plain = try JSONEncoder().encode(keys.map { Hex.encode($0.seed) })
        return Hex.encode(Array(try ChaChaPoly.seal(plain, using: key).combined))
    }

    static func derive(passphrase: String, salt: [UInt8], kdf: File.KDF) throws -> SymmetricKey {
        try KDF.Scrypt.deriveKey(
            from: Array(passphrase.utf8), salt: salt, outputByteCount: 32,
            rounds: 1 << kdf.logN, blockSize: kdf.r, parallelism: kdf.p)
    }

    /// Writes the file with mode 0600, atomically (a temporary file of its own, fsynced, renamed
    /// over the old one, so concurrent sends never share one). `creating` never replaces a file
    /// that is there, even one another process made a moment ago.
    func save(creating: Bool) throws {
        let data = try JSONEncoder.snake.encode(file)
        do {
            if creating {
                try AtomicFile.create(data, at: path, mode: 0o600)
            } else {
                try AtomicFile.write(data, to: path, mode: 0o600)
            }
        } catch let failure as AtomicFile.Failure {
            throw WalletError(
                creating && FileManager.default.fileExists(atPath: path)
                    ? "\(path) already exists; a wallet is never overwritten" : failure.description)
        }
    }
}

/// A wallet problem, for people. Never carries a key or a passphrase.
public struct WalletError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and what to do.
    public let message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

extension JSONEncoder {
    static var snake: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }
}

extension JSONDecoder {
    static var snake: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
