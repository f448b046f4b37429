import Hummingbird

/// A connected peer in `GET /v1/peers` (addresses appear in the API and logs, never in metrics).
public struct PeerJSON: Codable, Sendable, Equatable {
    /// Connection id (per run).
    public var id: UInt64
    /// `inbound` or `outbound`.
    public var direction: String
    /// The remote end of the TCP connection.
    public var remoteAddress: String
    /// Where the peer listens, if it said.
    public var listenAddress: String?
    /// Its software.
    public var userAgent: String
    /// The best height it announced.
    public var bestHeight: UInt64
    /// Last ping round trip in seconds.
    public var pingSeconds: Double?
    /// Its score (100 at start; banned at 0).
    public var score: Int
    /// Seconds since the handshake.
    public var connectedSeconds: Double

    /// Creates a peer entry.
    public init(
        id: UInt64, direction: String, remoteAddress: String, listenAddress: String?, userAgent: String, bestHeight: UInt64,
        pingSeconds: Double?, score: Int, connectedSeconds: Double
    ) {
        self.id = id
        self.direction = direction
        self.remoteAddress = remoteAddress
        self.listenAddress = listenAddress
        self.userAgent = userAgent
        self.bestHeight = bestHeight
        self.pingSeconds = pingSeconds
        self.score = score
        self.connectedSeconds = connectedSeconds
    }
}

/// `GET /v1/network/health`.
public struct NetworkHealthJSON: Codable, Sendable, Equatable {
    /// One seed's reachability.
    public struct Seed: Codable, Sendable, Equatable {
        /// `host:port`.
        public var address: String
        /// Whether the last dial completed a handshake (null: not tried yet).
        public var reachable: Bool?
        /// Connect plus handshake time of the last successful dial, in seconds.
        public var latencySeconds: Double?
        /// When it was last dialled (ms since the epoch).
        public var lastAttempt: UInt64?
        /// Why the last dial failed.
        public var lastError: String?

        /// Creates a seed entry.
        public init(address: String, reachable: Bool?, latencySeconds: Double?, lastAttempt: UInt64?, lastError: String?) {
            self.address = address
            self.reachable = reachable
            self.latencySeconds = latencySeconds
            self.lastAttempt = lastAttempt
            self.lastError = lastError
        }
    }

    /// `ok`, `degraded`, `connecting` or `isolated`.
    public var status: String
    /// Why it is not `ok`.
    public var reasons: [String]
    /// Where the node listens.
    public var listenAddress: String?
    /// Peers by direction, and the outbound target.
    public var inbound: Int, outbound: Int, targetOutbound: Int
    /// Address-book size, and how many of those were learned from peers.
    public var addressBookSize: Int, learnedAddresses: Int
    /// Hosts banned now.
    public var bannedHosts: Int
    /// Each seed and `--connect` address.
    public var seeds: [Seed]
    /// Our tip and the best a peer announced.
    public var tipHeight: UInt64, bestPeerHeight: UInt64
    /// The current dial retry delay while nothing is reachable.
    public var retryDelaySeconds: Double

    /// Creates a health report.
    public init(
        status: String, reasons: [String], listenAddress: String?, inbound: Int, outbound: Int, targetOutbound: Int,
        addressBookSize: Int, learnedAddresses: Int, bannedHosts: Int, seeds: [Seed], tipHeight: UInt64, bestPeerHeight: UInt64,
        retryDelaySeconds: Double
    ) {
        self.status = status
        self.reasons = reasons
        self.listenAddress = listenAddress
        self.inbound = inbound
        self.outbound = outbound
        self.targetOutbound = targetOutbound
        self.addressBookSize = addressBookSize
        self.learnedAddresses = learnedAddresses
        self.bannedHosts = bannedHosts
        self.seeds = seeds
        self.tipHeight = tipHeight
        self.bestPeerHeight = bestPeerHeight
        self.retryDelaySeconds = retryDelaySeconds
    }
}

/// A peer bundle: what `keel peers export` writes and `keel peers import` reads.
public struct PeerBundleJSON: Codable, Sendable, Equatable {
    /// One address.
    public struct Entry: Codable, Sendable, Equatable {
        /// `host:port`.
        public var address: String
        /// How the exporting node knew it (`self` is the exporter's own listen address).
        public var source: String?
        /// When it was last heard of (ms since the epoch).
        public var lastSeen: UInt64?
        /// When a handshake with it last completed (ms since the epoch).
        public var lastSuccess: UInt64?

        /// Creates an entry.
        public init(address: String, source: String?, lastSeen: UInt64?, lastSuccess: UInt64?) {
            self.address = address
            self.source = source
            self.lastSeen = lastSeen
            self.lastSuccess = lastSuccess
        }
    }

    /// The bundle format, `keel-peers/1`.
    public var format: String
    /// The network the addresses belong to.
    public var network: String
    /// That network's genesis hash (hex).
    public var genesis: String
    /// When the bundle was written (ms since the epoch).
    public var exportedAt: UInt64
    /// The addresses.
    public var peers: [Entry]

    /// The current format name.
    public static let currentFormat = "keel-peers/1"

    /// Creates a bundle.
    public init(format: String = PeerBundleJSON.currentFormat, network: String, genesis: String, exportedAt: UInt64, peers: [Entry]) {
        self.format = format
        self.network = network
        self.genesis = genesis
        self.exportedAt = exportedAt
        self.peers = peers
    }
}

/// What `POST /v1/peers/import` did.
public struct PeerImportJSON: Codable, Sendable, Equatable {
    /// New addresses, already-known ones, and entries that were not `host:port`.
    public var added: Int, known: Int, invalid: Int
    /// Entries the node will not dial and did not keep (on dev: not loopback).
    public var refused: Int

    /// Creates a report.
    public init(added: Int, known: Int, invalid: Int, refused: Int) {
        self.added = added
        self.known = known
        self.invalid = invalid
        self.refused = refused
    }
}

/// One step of `GET /v1/network/verify`.
public struct VerifyStepJSON: Codable, Sendable, Equatable {
    /// `address_book`, `address_exchange` or `dial_back`.
    public var name: String
    /// Whether it passed.
    public var passed: Bool
    /// What was seen.
    public var detail: String

    /// Creates a step.
    public init(name: String, passed: Bool, detail: String) {
        self.name = name
        self.passed = passed
        self.detail = detail
    }
}

struct PeersJSON: ResponseEncodable {
    let peers: [PeerJSON]
}

struct ConnectBody: Decodable {
    let address: String
}

/// `POST /v1/peers/connect`: whether the handshake completed. A peer that does not answer is
/// an outcome of the request, not a failure of the node, so it is a 200 with `connected: false`
/// and why (a 5xx would say the node is broken).
struct ConnectJSON: ResponseEncodable {
    let address: String
    let connected: Bool
    let error: String?
}

struct DisconnectJSON: ResponseEncodable {
    let address: String
    let closed: Int
}

struct VerifyJSON: ResponseEncodable {
    let passed: Bool
    let steps: [VerifyStepJSON]
}

extension PeerBundleJSON: ResponseEncodable {}
extension PeerImportJSON: ResponseEncodable {}
extension NetworkHealthJSON: ResponseEncodable {}
