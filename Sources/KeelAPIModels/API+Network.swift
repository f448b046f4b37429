extension API {
    /// A connected peer. Addresses appear in the API and the logs, never in metric labels.
    public struct Peer: Codable, Sendable, Equatable {
        /// Connection id, unique within one run of the node.
        public let id: UInt64
        /// `inbound` or `outbound`.
        public let direction: String
        /// The remote end of the TCP connection, and where the peer says it listens.
        public let remoteAddress: String, listenAddress: String?
        /// The user agent it sent in its handshake (at most 256 bytes).
        public let userAgent: String
        /// The best height it announced or sent.
        public let bestHeight: UInt64
        /// Last ping round trip; absent before the first pong.
        public let pingSeconds: Double?
        /// Starts at 100; the peer is banned at 0.
        public let score: Int
        /// Since the handshake completed.
        public let connectedSeconds: Double
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(
            id: UInt64, direction: String, remoteAddress: String, listenAddress: String?, userAgent: String, bestHeight: UInt64,
            pingSeconds: Double?, score: Int, connectedSeconds: Double
        ) {
            (self.id, self.direction, self.remoteAddress, self.listenAddress) = (id, direction, remoteAddress, listenAddress)
            (self.userAgent, self.bestHeight, self.pingSeconds) = (userAgent, bestHeight, pingSeconds)
            (self.score, self.connectedSeconds) = (score, connectedSeconds)
        }
    }

    /// `GET /v1/peers`.
    public struct Peers: Codable, Sendable, Equatable {
        /// In connection order.
        public let peers: [Peer]
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(peers: [Peer]) { self.peers = peers }
    }

    /// `GET /v1/network/health`: what the P2P health loop knows, and whether that is healthy.
    public struct NetworkHealth: Codable, Sendable, Equatable {
        /// Reachability of one seed or `--connect` address.
        public struct Seed: Codable, Sendable, Equatable {
            /// `host:port`.
            public let address: String
            /// Whether the last dial completed a handshake; absent: not tried yet.
            public let reachable: Bool?
            /// TCP connect plus handshake time of the last successful dial.
            public let latencySeconds: Double?
            /// When it was last dialled, ms since the epoch.
            public let lastAttempt: UInt64?
            /// Why the last dial failed.
            public let lastError: String?
            /// Memberwise; nothing is checked here (the handler checks before it builds one).
            public init(address: String, reachable: Bool?, latencySeconds: Double?, lastAttempt: UInt64?, lastError: String?) {
                (self.address, self.reachable, self.latencySeconds) = (address, reachable, latencySeconds)
                (self.lastAttempt, self.lastError) = (lastAttempt, lastError)
            }
        }

        /// `ok`; `degraded` (below the outbound target); `connecting` (no peers, seeds not tried
        /// yet); `isolated` (no peers, and the seeds tried have failed).
        public let status: String
        /// Why it is not `ok`, in words.
        public let reasons: [String]
        /// Where the node listens.
        public let listenAddress: String?
        /// Connected peers by direction, and the outbound count the node aims for.
        public let inbound: Int, outbound: Int, targetOutbound: Int
        /// Addresses known, and of those how many were learned from peers.
        public let addressBookSize: Int, learnedAddresses: Int
        /// Hosts banned now.
        public let bannedHosts: Int
        /// Each seed and `--connect` address.
        public let seeds: [Seed]
        /// Our tip, and the highest a peer announced.
        public let tipHeight: UInt64, bestPeerHeight: UInt64
        /// Until the next dial round while nothing is reachable.
        public let retryDelaySeconds: Double
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(
            status: String, reasons: [String], listenAddress: String?, inbound: Int, outbound: Int, targetOutbound: Int,
            addressBookSize: Int, learnedAddresses: Int, bannedHosts: Int, seeds: [Seed], tipHeight: UInt64, bestPeerHeight: UInt64,
            retryDelaySeconds: Double
        ) {
            (self.status, self.reasons, self.listenAddress) = (status, reasons, listenAddress)
            (self.inbound, self.outbound, self.targetOutbound) = (inbound, outbound, targetOutbound)
            (self.addressBookSize, self.learnedAddresses, self.bannedHosts) = (addressBookSize, learnedAddresses, bannedHosts)
            (self.seeds, self.tipHeight, self.bestPeerHeight) = (seeds, tipHeight, bestPeerHeight)
            self.retryDelaySeconds = retryDelaySeconds
        }
    }

    /// A peer bundle: what `GET /v1/peers/export` and `keel peers export` write and
    /// `POST /v1/peers/import` reads (at most 10,000 entries).
    public struct PeerBundle: Codable, Sendable, Equatable {
        /// One address.
        public struct Entry: Codable, Sendable, Equatable {
            /// `host:port`.
            public let address: String
            /// How the exporting node knew it (`self`: the exporter's own listen address).
            public let source: String?
            /// When it was last heard of, and when a handshake with it last completed (ms since
            /// the epoch).
            public let lastSeen: UInt64?, lastSuccess: UInt64?
            /// Memberwise; nothing is checked here (the handler checks before it builds one).
            public init(address: String, source: String?, lastSeen: UInt64?, lastSuccess: UInt64?) {
                (self.address, self.source, self.lastSeen, self.lastSuccess) = (address, source, lastSeen, lastSuccess)
            }
        }

        /// `keel-peers/1`; any other is refused.
        public let format: String
        /// The network the addresses belong to, and its genesis hash: a bundle from another
        /// network is refused with 409.
        public let network: String, genesis: String
        /// When it was written, ms since the epoch.
        public let exportedAt: UInt64
        /// The addresses.
        public let peers: [Entry]

        /// The format this node writes and reads.
        public static let currentFormat = "keel-peers/1"

        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(format: String = PeerBundle.currentFormat, network: String, genesis: String, exportedAt: UInt64, peers: [Entry]) {
            (self.format, self.network, self.genesis, self.exportedAt, self.peers) = (format, network, genesis, exportedAt, peers)
        }
    }

    /// What `POST /v1/peers/import` did with a bundle's entries.
    public struct PeerImport: Codable, Sendable, Equatable {
        /// New addresses, already-known ones, and entries that were not `host:port`.
        public let added: Int, known: Int, invalid: Int
        /// Entries the node will not dial and did not keep (on dev: not loopback).
        public let refused: Int
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(added: Int, known: Int, invalid: Int, refused: Int) {
            (self.added, self.known, self.invalid, self.refused) = (added, known, invalid, refused)
        }
    }

    /// `POST /v1/peers/connect`. A peer that does not answer is an outcome of the request, not a
    /// failure of the node: a 200 with `connected: false` and why (a 5xx would say the node is
    /// broken).
    public struct Connected: Codable, Sendable, Equatable {
        /// The address dialled.
        public let address: String
        /// Whether the handshake completed within the node's connect timeout.
        public let connected: Bool
        /// Why not.
        public let error: String?
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(address: String, connected: Bool, error: String?) {
            (self.address, self.connected, self.error) = (address, connected, error)
        }
    }

    /// `POST /v1/peers/disconnect`.
    public struct Disconnected: Codable, Sendable, Equatable {
        /// The address asked for.
        public let address: String
        /// Connections closed (a node that dials out may dial it again later).
        public let closed: Int
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(address: String, closed: Int) { (self.address, self.closed) = (address, closed) }
    }

    /// One step of `POST /v1/network/verify`.
    public struct VerifyStep: Codable, Sendable, Equatable {
        /// `address_book`, `address_exchange` or `dial_back`.
        public let name: String
        /// Whether it passed, and what was seen.
        public let passed: Bool, detail: String
        /// Memberwise; nothing is checked here (the handler checks before it builds one).
        public init(name: String, passed: Bool, detail: String) { (self.name, self.passed, self.detail) = (name, passed, detail) }
    }

    /// `POST /v1/network/verify`: proof that discovery works, step by step.
    public struct Verification: Codable, Sendable, Equatable {
        /// Whether every step passed.
        public let passed: Bool
        /// In the order they ran.
        public let steps: [VerifyStep]
        /// A verification; `passed` follows from the steps.
        public init(steps: [VerifyStep]) { (passed, self.steps) = (steps.allSatisfy(\.passed), steps) }
    }
}
