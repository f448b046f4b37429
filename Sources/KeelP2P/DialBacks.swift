/// Dial-backs (`reachCheck`: "dial me back on this port") running for peers. Each holds a
/// socket (a file descriptor, which RocksDB needs too) for up to the connect timeout, so they
/// are bounded: one at a time per peer, one per `perPeerInterval` per peer, `maxRunning` in all.
/// Bitcoin Core has no dial-back; its nearest relative, the feeler, runs one every two minutes.
struct DialBacks: Sendable {
    /// Dial-backs running at once, over all peers.
    static let maxRunning = 4
    /// Least time between two dial-backs for one peer (ms).
    static let perPeerInterval: UInt64 = 10_000

    /// Why a request is refused: the peer has one running (busy), asked too soon after its last
    /// (rate), or the node has `maxRunning` running (limit).
    enum Refusal: String, CaseIterable, Sendable {
        case busy, rate, limit
    }

    private(set) var running: Set<UInt64> = []
    private var lastStarted: [UInt64: UInt64] = [:]

    /// Starts one for `peer` at `now` (ms), or says why not.
    mutating func start(for peer: UInt64, now: UInt64) -> Refusal? {
        if running.contains(peer) { return .busy }
        if let last = lastStarted[peer], now < last + DialBacks.perPeerInterval { return .rate }
        if running.count >= DialBacks.maxRunning { return .limit }
        running.insert(peer)
        lastStarted[peer] = now
        return nil
    }

    /// The dial-back for `peer` ended.
    mutating func finish(for peer: UInt64) { running.remove(peer) }

    /// `peer` left: nothing kept for it (its running dial-back, if any, still counts until it ends).
    mutating func forget(_ peer: UInt64) { lastStarted[peer] = nil }
}
