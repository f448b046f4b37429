/// An unspent output as the UTXO set keeps it.
public struct UTXOEntry: Hashable, Sendable, CanonicalCodable {
    /// The unspent output as its transaction created it.
    public let output: TxOutput
    /// Height of the block that created it.
    public let height: UInt64
    /// Whether it came from a coinbase (and so must mature before it is spent).
    public let isCoinbase: Bool

    /// Memberwise; a coinbase output is spendable only after the network's maturity.
    public init(output: TxOutput, height: UInt64, isCoinbase: Bool) {
        self.output = output
        self.height = height
        self.isCoinbase = isCoinbase
    }
    /// output, height, flag.
    public func encode(to writer: inout ByteWriter) {
        writer.write(output)
        writer.writeLE(height)
        writer.write(isCoinbase ? 1 : 0)
    }
    /// Reads an entry.
    public init(from reader: inout ByteReader) throws {
        output = try TxOutput(from: &reader)
        height = try reader.readLE()
        let flag = try reader.readUInt8()
        guard flag <= 1 else { throw DecodingError(code: .invalidValue, message: "coinbase flag must be 0 or 1") }
        isCoinbase = flag == 1
    }
}

/// Where consensus reads unspent outputs from; implemented by chain state over storage.
public protocol UTXOView {
    /// The unspent output at `outpoint`, or nil when it is missing or spent.
    func entry(for outpoint: OutPoint) throws -> UTXOEntry?
}

/// A source of wall-clock time in milliseconds, so rules and tests do not read the clock directly.
public protocol WallClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowMilliseconds() -> UInt64
}
