/// The parameters of one Keel network. `dev` is the test mode: 100 ms blocks at an easy
/// target, a short coinbase maturity and a short future-timestamp window, so tests run in
/// seconds.
public struct Network: Sendable, Hashable, CustomStringConvertible {
    /// `main`, `test` or `dev`.
    public let name: String
    /// The bech32m HRP of addresses.
    public let addressPrefix: String
    /// The 4-byte P2P magic.
    public let magic: UInt32
    /// Intended milliseconds between blocks.
    public let targetSpacing: UInt64
    /// Blocks between difficulty adjustments.
    public let retargetInterval: UInt64
    /// The easiest target allowed (also genesis's target).
    public let powLimit: CompactTarget
    /// How far ahead of the local clock a block's timestamp may be, in ms.
    public let maxFutureDrift: UInt64
    /// Confirmations before a coinbase output may be spent.
    public let coinbaseMaturity: UInt64
    /// Subsidy of the first blocks.
    public let initialSubsidy: Amount
    /// Blocks between subsidy halvings.
    public let halvingInterval: UInt64
    /// Bound on a block's encoded size in bytes.
    public let maxBlockSize: Int
    /// Genesis timestamp (ms).
    let genesisTimestamp: UInt64

    /// The production network.
    public static let main = Network(
        name: "main", addressPrefix: "keel", magic: 0x4b45_454c, targetSpacing: 60_000,
        retargetInterval: 144, powLimit: CompactTarget(bits: 0x1f00_ffff),
        maxFutureDrift: 2 * 3_600_000, coinbaseMaturity: 100,
        initialSubsidy: .coins(50), halvingInterval: 210_000,
        maxBlockSize: 2_000_000, genesisTimestamp: 1_767_225_600_000)
    /// The public test network.
    public static let test = Network(
        name: "test", addressPrefix: "tkeel", magic: 0x6b65_6c74, targetSpacing: 10_000,
        retargetInterval: 60, powLimit: CompactTarget(bits: 0x2000_ffff),
        maxFutureDrift: 2 * 3_600_000, coinbaseMaturity: 20,
        initialSubsidy: .coins(50), halvingInterval: 210_000,
        maxBlockSize: 2_000_000, genesisTimestamp: 1_767_225_600_000)
    /// The local development network (test mode).
    public static let dev = Network(
        name: "dev", addressPrefix: "tkeel", magic: 0x6b64_6576, targetSpacing: 100,
        retargetInterval: 10, powLimit: CompactTarget(bits: 0x207f_ffff),
        maxFutureDrift: 15_000, coinbaseMaturity: 10,
        initialSubsidy: .coins(50), halvingInterval: 1_000_000,
        maxBlockSize: 2_000_000, genesisTimestamp: 1_767_225_600_000)

    /// All networks.
    public static let all: [Network] = [.main, .test, .dev]

    /// The network called `name`, if any.
    public static func named(_ name: String) -> Network? { all.first { $0.name == name } }

    /// The name.
    public var description: String { name }

    /// Identity is the name.
    public static func == (a: Network, b: Network) -> Bool { a.name == b.name }
    /// Identity is the name.
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// The subsidy of a block at `height`.
    public func subsidy(at height: UInt64) -> Amount {
        let halvings = height / halvingInterval
        return halvings >= 64 ? .zero : Amount(units: initialSubsidy.units >> halvings)
    }

    /// The genesis block: one coinbase paying the burn hash, mined at `powLimit` with the
    /// smallest nonce that meets it (found once per process; a handful of hashes on dev).
    public var genesis: Block {
        switch name {
        case "main": return Network.genesisMain
        case "test": return Network.genesisTest
        default: return Network.genesisDev
        }
    }

    private static let genesisMain = Network.main.makeGenesis()
    private static let genesisTest = Network.test.makeGenesis()
    private static let genesisDev = Network.dev.makeGenesis()

    private func makeGenesis() -> Block {
        let coinbase = Transaction.coinbase(height: 0, amount: initialSubsidy, to: .burn)
        var header = BlockHeader(
            height: 0, previousHash: .zero, merkleRoot: Merkle.root([coinbase.txid]),
            timestamp: genesisTimestamp, target: powLimit)
        while !powLimit.isMet(by: header.hash) { header.nonce += 1 }
        return Block(header: header, transactions: [coinbase])
    }
}
