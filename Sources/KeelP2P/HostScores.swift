/// The scores of hosts that misbehaved, kept after they disconnect for as long as a ban would
/// last, so that reconnecting does not buy a fresh score of 100 (Bitcoin Core keeps its
/// misbehaviour score per connection; Keel keeps it per host, like its bans, IPv6 by /64).
/// Bounded: beyond `capacity` hosts, the entry that expires soonest is dropped.
public struct HostScores: Sendable {
    /// Most hosts remembered.
    public let capacity: Int
    private var entries: [String: (score: Int, until: UInt64)] = [:]

    /// An empty table holding at most `capacity` hosts.
    public init(capacity: Int = 4_096) { self.capacity = capacity }

    /// Hosts remembered.
    public var count: Int { entries.count }

    /// Remembers `score` for `host` until `until` (ms), keeping the lower of it and one already
    /// remembered (a host's well-behaved connection does not wash out another's penalty). A clean
    /// score is not stored.
    public mutating func remember(host: String, score: Int, until: UInt64) {
        guard score < PeerScore().value else { return }
        let key = AddressBook.banKey(host)
        let lower = min(score, entries[key]?.score ?? score)
        entries[key] = (lower, max(until, entries[key]?.until ?? 0))
        if entries.count > capacity, let soonest = entries.min(by: { $0.value.until < $1.value.until })?.key {
            entries[soonest] = nil
        }
    }

    /// The score a new connection from `host` starts with at `now` (ms): the remembered one while
    /// it lasts, else a fresh 100.
    public mutating func score(for host: String, now: UInt64) -> PeerScore {
        let key = AddressBook.banKey(host)
        guard let entry = entries[key] else { return PeerScore() }
        guard entry.until > now else {
            entries[key] = nil
            return PeerScore()
        }
        return PeerScore(value: entry.score)
    }
}
