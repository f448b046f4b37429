import KeelCore
#if canImport(Glibc)
import Glibc
#endif

/// The node's own coinbase key, generated on first start into `DATA_DIR/miner.key` (mode 0600,
/// the hex seed) so a dev node's rewards are spendable without extra flags.
enum MinerKeyFile {
    static func loadOrCreate(directory: String) throws -> SigningKey {
        let path = directory + "/miner.key"
        if let fd = Optional(open(path, O_RDONLY | O_CLOEXEC)), fd >= 0 {
            defer { close(fd) }
            var buffer = [UInt8](repeating: 0, count: 128)
            let count = read(fd, &buffer, buffer.count)
            let text = String(decoding: buffer[..<max(count, 0)], as: UTF8.self).filter { !$0.isWhitespace }
            guard let seed = Hex.decode(text), seed.count == 32, let key = try? SigningKey(seed: seed) else {
                throw NodeError("\(path) does not hold a 32-byte hex key; move it aside to generate a new one")
            }
            return key
        }
        let key = SigningKey()
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw NodeError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let text = Array((Hex.encode(key.seed) + "\n").utf8)
        guard write(fd, text, text.count) == text.count, fsync(fd) == 0 else {
            throw NodeError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return key
    }
}

/// A node start-up failure with a message for the operator.
public struct NodeError: Error, Sendable, CustomStringConvertible {
    /// What went wrong and what to do.
    public let message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
