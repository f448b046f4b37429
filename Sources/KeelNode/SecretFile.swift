import Foundation
import KeelCore
import KeelFiles

#if canImport(Glibc)
    import Glibc
#endif

/// A secret kept as hex in a file of the data directory with mode 0600, created on first start:
/// the miner's key seed and the API token. The value never reaches a log or an error message.
enum SecretFile {
    /// The bytes in `path`, or `make()`'s new bytes written there (mode 0600, fsynced).
    static func loadOrCreate(_ path: String, length: Int, make: () -> [UInt8]) throws -> [UInt8] {
        do { try AtomicFile.checkPrivate(path, what: "the secret") } catch let failure as AtomicFile.Failure {
            throw NodeError(failure.message)
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: length * 2 + 16)
            let count = read(fd, &buffer, buffer.count)
            let text = String(decoding: buffer[..<max(count, 0)], as: UTF8.self).filter { !$0.isWhitespace }
            guard let bytes = Hex.decode(text), bytes.count == length else {
                throw NodeError("\(path) does not hold \(length) hex-encoded bytes; move it aside to generate a new one")
            }
            return bytes
        }
        let bytes = make()
        // Written whole or not at all (a crash mid-write would leave a short key that the next
        // start refuses), and never over a file that appeared meanwhile.
        do {
            try AtomicFile.create(Data((Hex.encode(bytes) + "\n").utf8), at: path, mode: 0o600)
        } catch let failure as AtomicFile.Failure {
            throw NodeError(failure.description)
        }
        return bytes
    }

    /// The node's coinbase key (`DATA_DIR/miner.key`).
    static func minerKey(directory: String) throws -> SigningKey {
        let seed = try loadOrCreate(directory + "/miner.key", length: 32) { SigningKey().seed }
        return try SigningKey(seed: seed)
    }

    /// The API bearer token (`DATA_DIR/api.token`): 32 random bytes as 64 hex characters.
    static func apiToken(directory: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = try loadOrCreate(directory + "/api.token", length: 32) { (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        return Hex.encode(bytes)
    }
}

/// A node start-up failure with a message for the operator.
public struct NodeError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and what to do.
    public let message: String
    /// `message` names the file, never its contents.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
