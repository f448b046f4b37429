import KeelCore
import KeelP2P
import KeelTesting
import Testing

@Suite("P2P frames and messages", .ownThread, .keepsArtifacts)
struct FrameTests {
    let magic = Network.dev.magic

    static func sampleMessages() -> [Message] {
        let genesis = Network.dev.genesis
        return [
            .version(VersionInfo(network: "dev", genesis: genesis.hash, nonce: 42, listenPort: 9333, bestHeight: 7, userAgent: "keel-node/test")),
            .verack, .ping(1), .pong(2), .getaddr,
            .addr([PeerAddress(host: "127.0.0.1", port: 9333, lastSeen: 5), PeerAddress(host: "::1", port: 1, lastSeen: 0)]),
            .inv([InventoryItem(kind: .block, hash: genesis.hash)]),
            .getdata([InventoryItem(kind: .transaction, hash: genesis.transactions[0].txid)]),
            .notfound([]),
            .getheaders(locator: [genesis.hash], stop: .zero),
            .headers([genesis.header]),
            .block(genesis),
            .tx(genesis.transactions[0]),
            .reachCheck(port: 9333, nonce: 99), .reachResult(nonce: 99, reachable: true, milliseconds: 12),
        ]
    }

    @Test("every message survives encoding, framing, byte-by-byte delivery and decoding")
    func roundTrip() throws {
        let messages = Self.sampleMessages()
        #expect(Set(messages.map(\.command)) == Set(Message.commands))
        let stream = messages.flatMap { $0.frame.encoded(magic: magic) }
        var decoder = FrameDecoder(magic: magic)
        var frames = [Frame]()
        for byte in stream { frames += try decoder.feed([byte]) }
        #expect(decoder.buffered == 0)
        #expect(try frames.map { try Message(frame: $0) } == messages)
    }

    @Test("another network's magic, a bad checksum, an oversized length and a bad command are refused")
    func malformed() {
        let frame = Message.ping(9).frame.encoded(magic: magic)
        var wrongMagic = FrameDecoder(magic: Network.main.magic)
        #expect((#expect(throws: FrameError.self) { try wrongMagic.feed(frame) })?.kind == .badMagic)

        var corrupted = frame
        corrupted[corrupted.count - 1] ^= 1
        var checksum = FrameDecoder(magic: magic)
        #expect((#expect(throws: FrameError.self) { try checksum.feed(corrupted) })?.kind == .badChecksum)

        var huge = Array(frame.prefix(Frame.headerSize))
        huge[16] = 0xff; huge[17] = 0xff; huge[18] = 0xff; huge[19] = 0x7f
        var oversized = FrameDecoder(magic: magic)
        #expect((#expect(throws: FrameError.self) { try oversized.feed(huge) })?.kind == .oversized)
        #expect(oversized.buffered <= Frame.headerSize)

        var badName = frame
        badName[5] = 0x07
        var command = FrameDecoder(magic: magic)
        #expect((#expect(throws: FrameError.self) { try command.feed(badName) })?.kind == .badCommand)
    }

    @Test("before the peer's verack a frame over 4 KiB is refused; after it, up to the full size")
    func handshakeLimit() throws {
        let big = Message.tx(Network.dev.genesis.transactions[0]).frame
        var padded = Frame(command: "tx", payload: big.payload + [UInt8](repeating: 0, count: Frame.maxHandshakePayload))
        var early = FrameDecoder(magic: magic, beforeHandshake: Frame.maxHandshakePayload)
        let refused = #expect(throws: FrameError.self) { try early.feed(padded.encoded(magic: magic)) }
        #expect(refused?.kind == .oversized && refused?.message.contains("before the handshake") == true)

        var decoder = FrameDecoder(magic: magic, beforeHandshake: Frame.maxHandshakePayload)
        let version = Message.version(VersionInfo(network: "dev", genesis: Network.dev.genesis.hash, nonce: 1, listenPort: 1, bestHeight: 0, userAgent: "t"))
        #expect(try decoder.feed(version.frame.encoded(magic: magic) + Message.verack.frame.encoded(magic: magic)).count == 2)
        #expect(decoder.payloadLimit == Frame.maxPayload)
        padded = Frame(command: "tx", payload: big.payload + [UInt8](repeating: 0, count: 1 << 20))
        #expect(try decoder.feed(padded.encoded(magic: magic)).count == 1)
    }

    @Test("many small frames in one read all come out, in order, with nothing left over")
    func manySmallFrames() throws {
        var decoder = FrameDecoder(magic: magic)
        let stream = (0..<20_000).flatMap { Message.ping(UInt64($0)).frame.encoded(magic: magic) }
        var frames = [Frame]()
        for chunk in stride(from: 0, to: stream.count, by: 65_536) {
            frames += try decoder.feed(Array(stream[chunk..<min(chunk + 65_536, stream.count)]))
        }
        #expect(frames.count == 20_000)
        #expect(try frames.enumerated().allSatisfy { try Message(frame: $1) == .ping(UInt64($0)) })
        #expect(decoder.buffered == 0)
    }

    @Test("random garbage never traps: it is refused or waits for more bytes")
    func garbage() {
        var rng = SeededGenerator(seed: 77)
        for _ in 0..<2_000 {
            var decoder = FrameDecoder(magic: magic)
            let bytes = rng.bytes(Int.random(in: 0...200, using: &rng))
            if let frames = try? decoder.feed(bytes) {
                for frame in frames { _ = try? Message(frame: frame) }
            }
        }
    }

    @Test("payloads that lie about their lists or carry unknown commands are refused")
    func badPayloads() throws {
        var w = ByteWriter()
        w.writeVarInt(UInt64(Message.maxAddresses) + 1)
        #expect(throws: DecodingError.self) { try Message(frame: Frame(command: "addr", payload: w.bytes)) }
        #expect(throws: DecodingError.self) { try Message(frame: Frame(command: "launch", payload: [])) }
        #expect(throws: DecodingError.self) { try Message(frame: Frame(command: "ping", payload: [1, 2, 3])) }
        #expect(throws: DecodingError.self) { try Message(frame: Frame(command: "verack", payload: [0])) }
    }
}
