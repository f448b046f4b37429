import KeelCore

/// One P2P frame on the wire:
///
///     magic (4, LE) | command (12, ASCII, zero padded) | length (4, LE) | checksum (4) | payload
///
/// The checksum is the first 4 bytes of SHA-256d(payload). The length is checked against
/// `maxPayload` before a single payload byte is buffered.
public struct Frame: Sendable, Equatable {
    /// Bytes before the payload.
    public static let headerSize = 24
    /// The largest payload accepted: a maximum-size block (2 MB) with room to spare.
    public static let maxPayload = 4 << 20

    /// The message type.
    public let command: String
    /// The message body.
    public let payload: [UInt8]

    /// Creates a frame.
    public init(command: String, payload: [UInt8]) {
        self.command = command
        self.payload = payload
    }

    /// The frame's bytes for `network`.
    public func encoded(magic: UInt32) -> [UInt8] {
        var writer = ByteWriter(capacity: Frame.headerSize + payload.count)
        writer.writeLE(magic)
        var name = Array(command.utf8.prefix(12))
        name += [UInt8](repeating: 0, count: 12 - name.count)
        writer.write(contentsOf: name)
        writer.writeLE(UInt32(payload.count))
        writer.write(contentsOf: Frame.checksum(payload))
        writer.write(contentsOf: payload)
        return writer.bytes
    }

    static func checksum(_ payload: [UInt8]) -> [UInt8] { Array(Hash256.sha256d(payload).bytes.prefix(4)) }
}

/// Why bytes from a peer are not a frame. Each costs the peer score (`PeerScore`).
public struct FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of malformation.
    public enum Kind: String, Sendable {
        /// Another network's magic (or garbage).
        case badMagic = "bad_magic"
        /// A command name that is not printable ASCII padded with zeros.
        case badCommand = "bad_command"
        /// A declared length above `Frame.maxPayload`.
        case oversized
        /// The payload does not match its checksum.
        case badChecksum = "bad_checksum"
    }

    /// The kind.
    public let kind: Kind
    /// Details for logs (never peer addresses in metrics).
    public let message: String

    /// `kind: message`.
    public var description: String { "\(kind.rawValue): \(message)" }
}

/// Splits a byte stream into frames, holding at most one frame's worth of bytes.
public struct FrameDecoder: Sendable {
    /// The network magic expected.
    public let magic: UInt32
    private var buffer: [UInt8] = []

    /// A decoder for frames carrying `magic`.
    public init(magic: UInt32) { self.magic = magic }

    /// Bytes held waiting for the rest of a frame.
    public var buffered: Int { buffer.count }

    /// Adds `bytes` and returns every complete frame. After an error the stream is unusable:
    /// the peer is disconnected.
    public mutating func feed(_ bytes: [UInt8]) throws(FrameError) -> [Frame] {
        buffer.append(contentsOf: bytes)
        var frames = [Frame]()
        while buffer.count >= Frame.headerSize {
            let got = UInt32(buffer[0]) | UInt32(buffer[1]) << 8 | UInt32(buffer[2]) << 16 | UInt32(buffer[3]) << 24
            guard got == magic else {
                throw FrameError(kind: .badMagic, message: "magic \(String(got, radix: 16)) is not \(String(magic, radix: 16))")
            }
            let name = buffer[4..<16]
            guard let end = name.firstIndex(of: 0) ?? Optional(16), end > 4,
                  name[4..<end].allSatisfy({ $0 >= 0x21 && $0 <= 0x7e }), name[end...].allSatisfy({ $0 == 0 }) else {
                throw FrameError(kind: .badCommand, message: "command bytes are not zero-padded printable ASCII")
            }
            let length = Int(UInt32(buffer[16]) | UInt32(buffer[17]) << 8 | UInt32(buffer[18]) << 16 | UInt32(buffer[19]) << 24)
            guard length <= Frame.maxPayload else {
                throw FrameError(kind: .oversized, message: "payload length \(length) is above \(Frame.maxPayload)")
            }
            guard buffer.count >= Frame.headerSize + length else { break }
            let payload = Array(buffer[Frame.headerSize..<(Frame.headerSize + length)])
            guard Frame.checksum(payload) == Array(buffer[20..<24]) else {
                throw FrameError(kind: .badChecksum, message: "payload of \(length) bytes does not match its checksum")
            }
            frames.append(Frame(command: String(decoding: name[4..<end], as: UTF8.self), payload: payload))
            buffer.removeFirst(Frame.headerSize + length)
        }
        return frames
    }
}
