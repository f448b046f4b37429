import KeelStorage

/// The peer addresses a node knows and the hosts it has banned: plain state, persisted by the
/// caller (every change returns what to write), bounded so `addr` floods cannot grow it.
public struct AddressBook: Sendable {
    /// Most addresses kept; learned addresses beyond it replace the stalest learned one.
    public let capacity: Int
    /// Entries by `host:port`.
    public private(set) var records: [String: PeerRecord] = [:]
    /// Bans by host.
    public private(set) var bans: [String: BanRecord] = [:]

    /// An empty book.
    public init(capacity: Int = 10_000) { self.capacity = capacity }

    /// A book loaded from storage, dropping expired bans.
    public init(peers: [PeerRecord], bans: [BanRecord], now: UInt64, capacity: Int = 10_000) {
        self.capacity = capacity
        for record in peers { records[record.address] = record }
        for ban in bans where ban.until > now { self.bans[ban.host] = ban }
    }

    /// Number of addresses.
    public var count: Int { records.count }

    /// Adds or refreshes an address. A stronger source (seed, manual, imported) replaces a
    /// weaker one; learned addresses never overwrite what the operator configured. Returns the
    /// record to persist, or nil when nothing changed or the book is full of better entries.
    public mutating func add(host: String, port: UInt16, source: PeerRecord.Source, seen: UInt64) -> PeerRecord? {
        guard port != 0, !host.isEmpty else { return nil }
        let key = PeerRecord(host: host, port: port, source: source, lastSeen: seen).address
        if var existing = records[key] {
            var changed = false
            if source.rawValue < existing.source.rawValue {
                existing.source = source
                changed = true
            }
            if seen > existing.lastSeen + 60_000 {
                existing.lastSeen = seen
                changed = true
            }
            guard changed else { return nil }
            records[key] = existing
            return existing
        }
        if records.count >= capacity {
            guard let victim = records.values.filter({ $0.source == .addr || $0.source == .inbound })
                .min(by: { ($0.lastSuccess, $0.lastSeen) < ($1.lastSuccess, $1.lastSeen) }) else { return nil }
            records[victim.address] = nil
        }
        let record = PeerRecord(host: host, port: port, source: source, lastSeen: seen)
        records[key] = record
        return record
    }

    /// Removes an address (for example our own, found by dialling it).
    public mutating func remove(_ address: String) -> Bool { records.removeValue(forKey: address) != nil }

    /// Records a completed handshake with `address`.
    public mutating func markSuccess(_ address: String, now: UInt64) -> PeerRecord? {
        guard var record = records[address] else { return nil }
        record.lastSuccess = now
        record.lastSeen = now
        record.failures = 0
        records[address] = record
        return record
    }

    /// Records a failed dial of `address`.
    public mutating func markFailure(_ address: String) -> PeerRecord? {
        guard var record = records[address] else { return nil }
        record.failures &+= 1
        records[address] = record
        return record
    }

    /// Bans `host` until `until`.
    public mutating func ban(host: String, until: UInt64, reason: String) -> BanRecord {
        let ban = BanRecord(host: host, until: until, reason: reason)
        bans[host] = ban
        return ban
    }

    /// Whether `host` is banned at `now`.
    public func isBanned(_ host: String, now: UInt64) -> Bool { (bans[host]?.until ?? 0) > now }

    /// Drops expired bans; returns the hosts to delete from storage.
    public mutating func expireBans(now: UInt64) -> [String] {
        let expired = bans.values.filter { $0.until <= now }.map(\.host)
        for host in expired { bans[host] = nil }
        return expired
    }

    /// Addresses worth dialling, best first: configured ones, then those that worked before,
    /// then the rest; fewer failures first, then the configured order. Each is skipped while
    /// its failure backoff (2^failures s, capped at 10 min) runs, measured from the end of its
    /// last attempt (`lastAttempt`).
    /// `priority` orders configured addresses (`--connect`, then `--seed`, as given).
    public func candidates(now: UInt64, excluding: Set<String>, lastAttempt: [String: UInt64],
                           priority: [String: Int] = [:]) -> [PeerRecord] {
        records.values
            .filter { !excluding.contains($0.address) && !isBanned($0.host, now: now) }
            .filter { record in
                guard record.failures > 0, let attempted = lastAttempt[record.address] else { return true }
                let backoff = min(UInt64(1) << min(UInt64(record.failures), 20), 600) * 1000
                return now >= attempted + backoff
            }
            .sorted { a, b in
                let rank = { (r: PeerRecord) -> Int in r.source == .manual || r.source == .seed ? 0 : r.lastSuccess > 0 ? 1 : 2 }
                if rank(a) != rank(b) { return rank(a) < rank(b) }
                if a.failures != b.failures { return a.failures < b.failures }
                let pa = priority[a.address] ?? .max, pb = priority[b.address] ?? .max
                if pa != pb { return pa < pb }
                return a.lastSeen > b.lastSeen
            }
    }

    /// Up to `limit` addresses to share in `addr`: not banned, most recently seen first.
    public func sample(limit: Int, now: UInt64) -> [PeerRecord] {
        Array(records.values.filter { !isBanned($0.host, now: now) }.sorted { $0.lastSeen > $1.lastSeen }.prefix(limit))
    }

    /// Addresses learned through address exchange.
    public var learnedCount: Int { records.values.filter { $0.source == .addr }.count }
}
