import Crypto
import CryptoExtras
import Foundation
import KeelCore
import KeelFiles

/// The wallet file's layout, its encryption and its one way of being written.
extension Wallet {
    /// The file layout: JSON with snake_case keys, pretty-printed so a person can see the
    /// addresses and history (the keys are sealed). `version` 1 is the only one so far.
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
            if creating && FileManager.default.fileExists(atPath: path) {
                throw WalletError(.exists, "\(path) already exists; a wallet is never overwritten")
            }
            throw WalletError(.file, failure.description)
        }
    }
}

extension JSONEncoder {
    /// The wallet file's spelling.
    static var snake: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }
}

extension JSONDecoder {
    /// Reads the wallet file's spelling.
    static var snake: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}
