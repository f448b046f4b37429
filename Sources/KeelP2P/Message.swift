import KeelCore

/// What a node says in its `version` message.
public struct VersionInfo: Sendable, Equatable, CanonicalCodable {
    /// The sender's protocol version; 1 is the only one so far.
    public let protocolVersion: UInt32
    /// The network name (also checked through the frame magic).
    public let network: String
    /// The sender's genesis hash: a different one is another chain.
    public let genesis: Hash256
    /// A random number per node run, to detect connecting to ourselves.
    public let nonce: UInt64
    /// The port the sender listens on (0: not listening).
    public let listenPort: UInt16
    /// The sender's tip height.
    public let bestHeight: UInt64
    /// The sender's software, e.g. `keel-node/0.1.0`.
    public let userAgent: String
    /// The sender's clock when it sent this (ms since the epoch; 0: not sent, from a node
    /// before this field): how far our clock is from our peers'.
    public let timestamp: UInt64

    /// Creates version info.
    public init(
        protocolVersion: UInt32 = 1, network: String, genesis: Hash256, nonce: UInt64, listenPort: UInt16,
        bestHeight: UInt64, userAgent: String, timestamp: UInt64 = 0
    ) {
        self.protocolVersion = protocolVersion
        self.network = network
        self.genesis = genesis
        self.nonce = nonce
        self.listenPort = listenPort
        self.bestHeight = bestHeight
        self.userAgent = userAgent
        self.timestamp = timestamp
    }

    /// Encodes the fields in order.
    public func encode(to writer: inout ByteWriter) {
        writer.writeLE(protocolVersion)
        writer.writeVarBytes(Array(network.utf8))
        writer.write(genesis)
        writer.writeLE(nonce)
        writer.writeLE(listenPort)
        writer.writeLE(bestHeight)
        writer.writeVarBytes(Array(userAgent.utf8))
        writer.writeLE(timestamp)
    }

    /// Reads the fields, bounding both strings.
    public init(from reader: inout ByteReader) throws {
        protocolVersion = try reader.readLE()
        network = String(decoding: try reader.readVarBytes(max: 16, field: "network"), as: UTF8.self)
        genesis = try Hash256(from: &reader)
        nonce = try reader.readLE()
        listenPort = try reader.readLE()
        bestHeight = try reader.readLE()
        userAgent = String(decoding: try reader.readVarBytes(max: 64, field: "user agent"), as: UTF8.self)
        // Optional at the end: a version from a node before the field ends here.
        timestamp = reader.remaining >= 8 ? try reader.readLE() : 0
    }
}

/// A peer's address as exchanged in `addr` messages.
public struct PeerAddress: Sendable, Hashable, CanonicalCodable, CustomStringConvertible {
    /// IPv4 or IPv6 host, or a name.
    public let host: String
    /// TCP port.
    public let port: UInt16
    /// When the sender last heard from it (ms since the epoch).
    public let lastSeen: UInt64

    /// `lastSeen` in ms since the epoch, as the sender last heard of it.
    public init(host: String, port: UInt16, lastSeen: UInt64) {
        self.host = host
        self.port = port
        self.lastSeen = lastSeen
    }

    /// `host:port`.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Encodes host, port, last seen.
    public func encode(to writer: inout ByteWriter) {
        writer.writeVarBytes(Array(host.utf8))
        writer.writeLE(port)
        writer.writeLE(lastSeen)
    }

    /// Reads an address (host bounded to 255 bytes).
    public init(from reader: inout ByteReader) throws {
        host = String(decoding: try reader.readVarBytes(max: 255, field: "host"), as: UTF8.self)
        port = try reader.readLE()
        lastSeen = try reader.readLE()
    }
}

/// An announced or requested object.
public struct InventoryItem: Sendable, Hashable, CanonicalCodable {
    /// What the hash names.
    public enum Kind: UInt8, Sendable {
        /// A block hash.
        case block = 1
        /// A transaction id.
        case transaction = 2
    }
    /// Block or transaction: which store to look the hash up in.
    public let kind: Kind
    /// The block hash or txid.
    public let hash: Hash256

    /// An announcement or request of one block or transaction.
    public init(kind: Kind, hash: Hash256) {
        self.kind = kind
        self.hash = hash
    }
    /// kind byte then hash.
    public func encode(to writer: inout ByteWriter) {
        writer.write(kind.rawValue)
        writer.write(hash)
    }
    /// Reads an item; unknown kinds are refused.
    public init(from reader: inout ByteReader) throws {
        guard let kind = Kind(rawValue: try reader.readUInt8()) else {
            throw DecodingError(code: .invalidValue, message: "unknown inventory kind")
        }
        self.kind = kind
        hash = try Hash256(from: &reader)
    }
}

/// Every P2P message, typed. Lists carry bounds so a peer cannot make the node allocate more
/// than a frame's worth.
public enum Message: Sendable, Equatable {
    /// Bound on addresses per `addr`.
    public static let maxAddresses = 1_000
    /// Bound on inventory items per `inv`, `getdata` or `notfound`.
    public static let maxInventory = 50_000
    /// Bound on headers per `headers`.
    public static let maxHeaders = 2_000
    /// Bound on locator hashes per `getheaders` (Bitcoin Core's `MAX_LOCATOR_SZ`): each costs a
    /// lookup under the chain's lock, and an honest locator has about 10 + log2(height).
    public static let maxLocator = 101

    /// Opens the handshake.
    case version(VersionInfo)
    /// Accepts the peer's version.
    case verack
    /// Liveness and latency.
    case ping(UInt64)
    /// The answer to `ping`, echoing its nonce.
    case pong(UInt64)
    /// Asks for known addresses.
    case getaddr
    /// Known addresses.
    case addr([PeerAddress])
    /// Announces blocks or transactions.
    case inv([InventoryItem])
    /// Asks for announced objects.
    case getdata([InventoryItem])
    /// Says requested objects are not available.
    case notfound([InventoryItem])
    /// Asks for headers after the first locator hash the receiver knows, up to `stop`.
    case getheaders(locator: [Hash256], stop: Hash256)
    /// Headers in chain order.
    case headers([BlockHeader])
    /// A full block.
    case block(Block)
    /// A transaction.
    case tx(Transaction)
    /// Asks the peer to dial us back on `port` (at the host it sees us on) and report.
    case reachCheck(port: UInt16, nonce: UInt64)
    /// The answer to `reachCheck`: whether the dial-back completed a handshake, and how long it took.
    case reachResult(nonce: UInt64, reachable: Bool, milliseconds: UInt32)

    /// The wire command name.
    public var command: String {
        switch self {
        case .version: "version"
        case .verack: "verack"
        case .ping: "ping"
        case .pong: "pong"
        case .getaddr: "getaddr"
        case .addr: "addr"
        case .inv: "inv"
        case .getdata: "getdata"
        case .notfound: "notfound"
        case .getheaders: "getheaders"
        case .headers: "headers"
        case .block: "block"
        case .tx: "tx"
        case .reachCheck: "reachcheck"
        case .reachResult: "reachresult"
        }
    }

    /// Every command name (a bounded metrics label set).
    public static let commands = [
        "version", "verack", "ping", "pong", "getaddr", "addr", "inv", "getdata", "notfound",
        "getheaders", "headers", "block", "tx", "reachcheck", "reachresult",
    ]

    /// The frame carrying this message.
    public var frame: Frame {
        var w = ByteWriter()
        func list<T: CanonicalCodable>(_ items: [T]) {
            w.writeVarInt(UInt64(items.count))
            for item in items { w.write(item) }
        }
        switch self {
        case .version(let info): w.write(info)
        case .verack, .getaddr: break
        case .ping(let nonce), .pong(let nonce): w.writeLE(nonce)
        case .addr(let items): list(items)
        case .inv(let items), .getdata(let items), .notfound(let items): list(items)
        case .getheaders(let locator, let stop):
            list(locator)
            w.write(stop)
        case .headers(let headers): list(headers)
        case .block(let block): w.write(block)
        case .tx(let tx): w.write(tx)
        case .reachCheck(let port, let nonce):
            w.writeLE(port)
            w.writeLE(nonce)
        case .reachResult(let nonce, let reachable, let milliseconds):
            w.writeLE(nonce)
            w.write(reachable ? 1 : 0)
            w.writeLE(milliseconds)
        }
        return Frame(command: command, payload: w.bytes)
    }

    /// Decodes a frame's message. Unknown commands and malformed payloads are errors.
    public init(frame: Frame) throws {
        var r = ByteReader(frame.payload)
        func list<T: CanonicalCodable>(_ max: Int, _ field: String) throws -> [T] {
            try r.readList(max: max, field: field) { try T(from: &$0) }
        }
        switch frame.command {
        case "version": self = .version(try VersionInfo(from: &r))
        case "verack": self = .verack
        case "ping": self = .ping(try r.readLE())
        case "pong": self = .pong(try r.readLE())
        case "getaddr": self = .getaddr
        case "addr": self = .addr(try list(Message.maxAddresses, "addresses"))
        case "inv": self = .inv(try list(Message.maxInventory, "inventory"))
        case "getdata": self = .getdata(try list(Message.maxInventory, "inventory"))
        case "notfound": self = .notfound(try list(Message.maxInventory, "inventory"))
        case "getheaders":
            let locator: [Hash256] = try list(Message.maxLocator, "locator")
            self = .getheaders(locator: locator, stop: try Hash256(from: &r))
        case "headers": self = .headers(try list(Message.maxHeaders, "headers"))
        case "block": self = .block(try Block(from: &r))
        case "tx": self = .tx(try Transaction(from: &r))
        case "reachcheck": self = .reachCheck(port: try r.readLE(), nonce: try r.readLE())
        case "reachresult":
            let nonce: UInt64 = try r.readLE()
            let flag = try r.readUInt8()
            guard flag <= 1 else { throw DecodingError(code: .invalidValue, message: "reachable flag must be 0 or 1") }
            self = .reachResult(nonce: nonce, reachable: flag == 1, milliseconds: try r.readLE())
        default: throw DecodingError(code: .invalidValue, message: "unknown command '\(frame.command)'")
        }
        try r.expectEnd()
    }
}
