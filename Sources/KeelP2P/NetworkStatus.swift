import KeelStorage

/// One connected peer, as the API and `keel peers` show it (no secrets; addresses appear here
/// and in logs, never in metric labels).
public struct PeerSummary: Sendable, Equatable {
    /// Connection id (per run).
    public let id: UInt64
    /// `inbound` or `outbound`.
    public let direction: String
    /// The remote end of the TCP connection.
    public let remoteAddress: String
    /// Where the peer listens, if it said.
    public let listenAddress: String?
    /// Its software.
    public let userAgent: String
    /// The best height it announced or sent.
    public let bestHeight: UInt64
    /// Last ping round trip (seconds).
    public let pingSeconds: Double?
    /// Its score (starts at 100; banned at 0).
    public let score: Int
    /// Seconds since the handshake.
    public let connectedSeconds: Double
}

/// Reachability of one seed or `--connect` address.
public struct SeedHealth: Sendable, Equatable {
    /// `host:port`.
    public let address: String
    /// Whether the last dial completed a handshake (nil: not tried yet).
    public let reachable: Bool?
    /// TCP connect plus handshake time of the last successful dial (seconds).
    public let latencySeconds: Double?
    /// When it was last dialled (ms since the epoch).
    public let lastAttempt: UInt64?
    /// Why the last dial failed.
    public let lastError: String?
}

/// What the health loop knows: peers, seeds, the address book, and whether that is healthy.
public struct NetworkHealth: Sendable, Equatable {
    /// `ok`, `degraded` (below the outbound target), `connecting` (no peers yet, seeds not tried)
    /// or `isolated` (no peers, and the seeds tried have failed).
    public let status: String
    /// Why the status is not `ok`, in words.
    public let reasons: [String]
    /// Where we listen.
    public let listenAddress: String?
    /// Connected peers that dialled us.
    public let inbound: Int
    /// Connected peers we dialled.
    public let outbound: Int
    /// The outbound peers the node aims for.
    public let targetOutbound: Int
    /// Addresses known.
    public let addressBookSize: Int
    /// Of which learned from peers through address exchange.
    public let learnedAddresses: Int
    /// Hosts banned now.
    public let bannedHosts: Int
    /// Each configured seed.
    public let seeds: [SeedHealth]
    /// Our tip height and the highest a peer announced.
    public let tipHeight: UInt64, bestPeerHeight: UInt64
    /// Seconds until the next dial retry while nothing is reachable.
    public let retryDelaySeconds: Double
}

/// What an import did.
public struct PeerImportReport: Sendable, Equatable {
    /// New addresses.
    public let added: Int
    /// Addresses already known.
    public let known: Int
    /// Entries that were not `host:port`.
    public let invalid: Int
    /// Entries the dial policy refused (on dev: not loopback), not kept.
    public let refused: Int
}

/// One step of `keel network verify`.
public struct VerifyStep: Sendable, Equatable {
    /// Step name: `address_book`, `address_exchange`, `dial_back`.
    public let name: String
    /// Whether it passed.
    public let passed: Bool
    /// What was seen.
    public let detail: String
}
