import KeelCore
import KeelTesting
import Testing

@Suite("Canonical encoding", .ownThread)
struct EncodingTests {
    @Test("round trips of random transactions, headers and blocks", arguments: [1, 2, 3, 4] as [UInt64])
    func roundTrips(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<100 {
            let tx = rng.transaction()
            #expect(try Transaction(decoding: tx.encoded) == tx)
            let header = rng.header()
            #expect(try BlockHeader(decoding: header.encoded) == header)
            #expect(header.encoded.count == BlockHeader.encodedSize)
            let block = rng.block()
            #expect(try Block(decoding: block.encoded) == block)
            let entry = UTXOEntry(
                output: TxOutput(amount: Amount(units: rng.next()), addressHash: rng.addressHash()),
                height: rng.next(), isCoinbase: Bool.random(using: &rng))
            #expect(try UTXOEntry(decoding: entry.encoded) == entry)
        }
    }

    @Test("varints round trip and reject non-shortest forms")
    func varints() throws {
        var rng = SeededGenerator(seed: 9)
        for value in [0, 1, 127, 128, 16_383, 16_384, UInt64.max] + (0..<200).map({ _ in rng.next() >> UInt64.random(in: 0...63, using: &rng) }) {
            var writer = ByteWriter()
            writer.writeVarInt(value)
            var reader = ByteReader(writer.bytes)
            #expect(try reader.readVarInt() == value)
            #expect(reader.remaining == 0)
        }
        var overlong = ByteReader([0x80, 0x00])
        #expect(throws: DecodingError.self) { try overlong.readVarInt() }
        var tooBig = ByteReader([UInt8](repeating: 0xff, count: 10) + [0x01])
        #expect(throws: DecodingError.self) { try tooBig.readVarInt() }
    }

    @Test("random bytes never trap and never decode to something that re-encodes differently")
    func garbage() {
        var rng = SeededGenerator(seed: 42)
        var decoded = 0
        for _ in 0..<20_000 {
            let raw = rng.bytes(Int.random(in: 0...300, using: &rng))
            if let block = try? Block(decoding: raw) { decoded += 1; #expect(block.encoded == raw) }
            if let tx = try? Transaction(decoding: raw) { decoded += 1; #expect(tx.encoded == raw) }
            if let header = try? BlockHeader(decoding: raw) { #expect(header.encoded == raw) }
        }
        // Random bytes are almost never a valid encoding; the point is that nothing trapped.
        #expect(decoded < 20_000)
    }

    @Test("mutated, truncated and extended encodings error or stay canonical", arguments: [7, 8] as [UInt64])
    func mutations(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        for _ in 0..<300 {
            let original = rng.block().encoded
            var mutated = original
            switch Int.random(in: 0...3, using: &rng) {
            case 0: mutated[Int.random(in: 0..<mutated.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            case 1: mutated.removeLast(Int.random(in: 1...min(40, mutated.count), using: &rng))
            case 2: mutated += rng.bytes(Int.random(in: 1...8, using: &rng))
            default: mutated.insert(contentsOf: rng.bytes(3), at: Int.random(in: 0..<mutated.count, using: &rng))
            }
            if let block = try? Block(decoding: mutated) { #expect(block.encoded == mutated) }
        }
    }

    @Test("oversized length prefixes are refused before allocating")
    func oversizedLengths() {
        var writer = ByteWriter()
        writer.write(BlockHeader(height: 1, previousHash: .zero, merkleRoot: .zero, timestamp: 0, target: CompactTarget(bits: 0)))
        writer.writeVarInt(UInt64(Block.maxTransactions) + 1)
        #expect(throws: DecodingError.self) { try Block(decoding: writer.bytes) }
        var huge = ByteWriter()
        huge.writeLE(UInt32(1))
        huge.writeVarInt(UInt64.max >> 1)
        #expect(throws: DecodingError.self) { try Transaction(decoding: huge.bytes) }
        var claims = ByteWriter()
        claims.writeLE(UInt32(1))
        claims.writeVarInt(1000)  // within the bound, but the bytes are not there
        #expect(throws: DecodingError.self) { try Transaction(decoding: claims.bytes) }
    }
}
