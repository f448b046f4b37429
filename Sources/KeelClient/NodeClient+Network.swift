import Foundation

extension NodeClient {
    /// A connected peer (`GET /v1/peers`).
    public struct Peer: Decodable, Sendable {
        /// Connection id.
        public let id: UInt64
        /// `inbound` or `outbound`.
        public let direction: String
        /// The TCP connection's remote end.
        public let remoteAddress: String
        /// Where the peer listens, if it said.
        public let listenAddress: String?
        /// Its software.
        public let userAgent: String
        /// The best height it announced.
        public let bestHeight: UInt64
        /// Last ping round trip (seconds).
        public let pingSeconds: Double?
        /// Its score.
        public let score: Int
        /// Seconds since the handshake.
        public let connectedSeconds: Double
    }

    /// `GET /v1/network/health`.
    public struct NetworkHealth: Decodable, Sendable {
        /// One seed.
        public struct Seed: Decodable, Sendable {
            /// `host:port`.
            public let address: String
            /// Whether its last dial completed a handshake.
            public let reachable: Bool?
            /// Its last successful dial time (seconds).
            public let latencySeconds: Double?
            /// Why its last dial failed.
            public let lastError: String?
        }
        /// `ok`, `degraded` or `isolated`.
        public let status: String
        /// Why not `ok`.
        public let reasons: [String]
        /// Where the node listens.
        public let listenAddress: String?
        /// Peers by direction and the outbound target.
        public let inbound: Int, outbound: Int, targetOutbound: Int
        /// Address book size and learned addresses.
        public let addressBookSize: Int, learnedAddresses: Int
        /// Banned hosts.
        public let bannedHosts: Int
        /// Seeds.
        public let seeds: [Seed]
        /// Heights.
        public let tipHeight: UInt64, bestPeerHeight: UInt64
    }

    /// `POST /v1/network/verify`.
    public struct Verification: Decodable, Sendable {
        /// One step.
        public struct Step: Decodable, Sendable {
            /// Its name.
            public let name: String
            /// Whether it passed.
            public let passed: Bool
            /// What was seen.
            public let detail: String
        }
        /// Whether every step passed.
        public let passed: Bool
        /// The steps.
        public let steps: [Step]
    }

    /// What an import did.
    public struct ImportResult: Decodable, Sendable {
        /// New, already known, and malformed entries.
        public let added: Int, known: Int, invalid: Int
        /// Entries the node refused to keep (on dev: not loopback).
        public let refused: Int
    }

    struct PeerList: Decodable { let peers: [Peer] }
    struct Disconnected: Decodable { let closed: Int }

    /// Closes the node's connections to `address`; returns how many it closed.
    public func disconnect(_ address: String) throws -> Int {
        try (call("POST", "/v1/peers/disconnect", json: ["address": address], auth: true) as Disconnected).closed
    }
    struct Connected: Decodable { let connected: Bool }

    /// Connected peers.
    public func peers() throws -> [Peer] { try (call("GET", "/v1/peers") as PeerList).peers }
    /// The P2P health report.
    public func networkHealth() throws -> NetworkHealth { try call("GET", "/v1/network/health") }
    /// Runs the discovery checks (takes up to the node's connect timeout).
    public func verifyNetwork() throws -> Verification { try call("POST", "/v1/network/verify", auth: true) }
    /// The peer bundle, as the JSON text the node wrote.
    public func exportPeers() throws -> String {
        let response = try raw("/v1/peers/export")
        guard response.status == 200 else { throw ClientError(.api, "the node answered \(response.status)", status: response.status) }
        return response.text
    }
    /// Imports a bundle (its JSON bytes, as exported).
    public func importPeers(bundle: [UInt8]) throws -> ImportResult { try call("POST", "/v1/peers/import", body: bundle, auth: true) }
    /// Dials `address` now; true once the handshake completed, false when the peer did not
    /// answer within the node's connect timeout.
    public func connect(_ address: String) throws -> Bool {
        try (call("POST", "/v1/peers/connect", json: ["address": address], auth: true) as Connected).connected
    }
}
