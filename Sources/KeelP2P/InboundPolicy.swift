/// Who gets an inbound slot: at most `maxPerHost` connections from one host, and when all
/// `maxInbound` slots are taken, the least useful inbound peer makes room for the newcomer (or
/// the newcomer is turned away when every peer is worth keeping).
///
/// Eviction follows Bitcoin Core's `SelectNodeToEvict`: protect the peers that recently sent us
/// new blocks (4), the lowest pings (8), and the longest connected half of the rest, so an
/// attacker cannot push out the peers that serve us by reconnecting idle sockets; then take the
/// network group with the most connections and evict its newest member. Core protects 4 more by
/// keyed network group and 4 by recent transactions; Keel's network groups are the address
/// book's (`AddressBook.networkGroup`), unkeyed, and Core has no per-host limit (Keel adds one
/// because a dev or LAN network lacks the address diversity Core's group protection relies on).
struct InboundPolicy: Sendable {
    /// An inbound peer as eviction sees it.
    struct Candidate: Sendable, Equatable {
        var id: UInt64
        var host: String
        /// When the handshake completed (ms, monotonic); nil: not yet (never evicted, its
        /// handshake deadline removes it soon enough).
        var connectedAt: UInt64?
        var pingSeconds: Double?
        /// When it last sent us a block we did not have (ms, monotonic).
        var lastBlockAt: UInt64?
    }

    /// What to do with a new inbound connection.
    enum Decision: Sendable, Equatable {
        case accept
        /// Accept after closing this peer.
        case evict(UInt64)
        /// Turn it away, with the metric reason.
        case reject(String)
    }

    /// Peers protected for recent blocks, for low pings.
    static let protectedByBlocks = 4
    static let protectedByPing = 8

    var maxInbound: Int
    var maxPerHost: Int

    /// Decides on a connection from `host` given the inbound peers now connected.
    func admit(host: String, inbound: [Candidate]) -> Decision {
        admit(fromHost: inbound.count(where: { $0.host == host }), inbound: inbound.count) { inbound }
    }

    /// Decides given the counts, building the eviction candidates only when every slot is taken
    /// (an accept must not cost a pass over a thousand peers).
    func admit(fromHost: Int, inbound: Int, candidates: () -> [Candidate]) -> Decision {
        if fromHost >= maxPerHost { return .reject("host_limit") }
        guard inbound >= maxInbound else { return .accept }
        guard maxInbound > 0, let victim = InboundPolicy.selectToEvict(candidates()) else { return .reject("limit") }
        return .evict(victim)
    }

    /// The peer to evict, if any is not protected.
    static func selectToEvict(_ peers: [Candidate]) -> UInt64? {
        var pool = peers.filter { $0.connectedAt != nil }
        func protect(_ count: Int, by better: (Candidate, Candidate) -> Bool, where keep: (Candidate) -> Bool = { _ in true }) {
            let chosen = Set(pool.filter(keep).sorted(by: better).prefix(count).map(\.id))
            pool.removeAll { chosen.contains($0.id) }
        }
        protect(protectedByBlocks, by: { ($0.lastBlockAt ?? 0) > ($1.lastBlockAt ?? 0) }, where: { $0.lastBlockAt != nil })
        protect(protectedByPing, by: { ($0.pingSeconds ?? .infinity) < ($1.pingSeconds ?? .infinity) }, where: { $0.pingSeconds != nil })
        protect(pool.count / 2, by: { $0.connectedAt! < $1.connectedAt! })
        guard !pool.isEmpty else { return nil }
        let groups = Dictionary(grouping: pool, by: { AddressBook.networkGroup($0.host) })
        // The biggest group; ties go to the group whose newest member is newest.
        let biggest = groups.values.max { a, b in
            a.count != b.count ? a.count < b.count : a.map { $0.connectedAt! }.max()! < b.map { $0.connectedAt! }.max()!
        }
        return biggest?.max { $0.connectedAt! < $1.connectedAt! }?.id
    }
}
