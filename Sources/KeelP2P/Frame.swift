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
    /// The largest payload accepted from a peer before its `verack`: a `version` is a few
    /// hundred bytes, so an unauthenticated socket cannot make the node buffer 4 MiB.
    /// (Bitcoin Core accepts full-size messages before the handshake; Keel does not need to.)
    public static let maxHandshakePayload = 4 << 10

    /// The message type.
    public let command: String
    /// The message body.
    public let payload: [UInt8]

    /// `command` at most 12 ASCII bytes; the checksum is computed when it is encoded.
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

    /// What went wrong: the disconnect reason and the metric label (any malformed frame bans the peer).
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
    /// Where the next frame starts in `buffer`: consumed bytes are dropped in one move when they
    /// are over half of it, not once per frame (which is quadratic in many small frames).
    private var start = 0
    /// The largest payload accepted now: `beforeHandshake` until the peer's `verack`, then
    /// `Frame.maxPayload`.
    public private(set) var payloadLimit: Int

    /// A decoder for frames carrying `magic`, accepting at most `beforeHandshake` bytes of
    /// payload until a `verack` arrives (the whole `Frame.maxPayload` by default).
    public init(magic: UInt32, beforeHandshake: Int = Frame.maxPayload) {
        self.magic = magic
        payloadLimit = min(beforeHandshake, Frame.maxPayload)
    }

    /// Bytes held waiting for the rest of a frame.
    public var buffered: Int { buffer.count - start }

    /// Adds `bytes` and returns every complete frame. After an error the stream is unusable:
    /// the peer is disconnected.
    public mutating func feed(_ bytes: [UInt8]) throws(FrameError) -> [Frame] {
        buffer.append(contentsOf: bytes)
        var frames = [Frame]()
        while buffer.count - start >= Frame.headerSize {
            let b = start
            let got = UInt32(buffer[b]) | UInt32(buffer[b + 1]) << 8 | UInt32(buffer[b + 2]) << 16 | UInt32(buffer[b + 3]) << 24
            guard got == magic else {
                throw FrameError(kind: .badMagic, message: "magic \(String(got, radix: 16)) is not \(String(magic, radix: 16))")
            }
            let name = buffer[(b + 4)..<(b + 16)]
            let nameStart = name.startIndex
            guard let end = name.firstIndex(of: 0) ?? Optional(name.endIndex), end > nameStart,
                name[nameStart..<end].allSatisfy({ $0 >= 0x21 && $0 <= 0x7e }), name[end...].allSatisfy({ $0 == 0 })
            else {
                throw FrameError(kind: .badCommand, message: "command bytes are not zero-padded printable ASCII")
            }
            let length = Int(UInt32(buffer[b + 16]) | UInt32(buffer[b + 17]) << 8 | UInt32(buffer[b + 18]) << 16 | UInt32(buffer[b + 19]) << 24)
            guard length <= payloadLimit else {
                let when = payloadLimit < Frame.maxPayload ? " before the handshake" : ""
                throw FrameError(kind: .oversized, message: "payload length \(length) is above \(payloadLimit)\(when)")
            }
            guard buffer.count - b >= Frame.headerSize + length else { break }
            let payload = Array(buffer[(b + Frame.headerSize)..<(b + Frame.headerSize + length)])
            guard Frame.checksum(payload) == Array(buffer[(b + 20)..<(b + 24)]) else {
                throw FrameError(kind: .badChecksum, message: "payload of \(length) bytes does not match its checksum")
            }
            let command = String(decoding: name[nameStart..<end], as: UTF8.self)
            if command == "verack" { payloadLimit = Frame.maxPayload }
            frames.append(Frame(command: command, payload: payload))
            start = b + Frame.headerSize + length
        }
        if start > 0 && start * 2 >= buffer.count {
            buffer.removeFirst(start)
            start = 0
        }
        return frames
    }
}
