import KeelStorage
#if canImport(Glibc)
import Glibc
#endif

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
    /// An IPv6 host is banned by its /64 (one subscriber's prefix: a host holds 2^64
    /// addresses, so banning one would cost it nothing), as Bitcoin Core's misbehaviour bans do.
    public mutating func ban(host: String, until: UInt64, reason: String) -> BanRecord {
        let key = AddressBook.banKey(host)
        let ban = BanRecord(host: key, until: until, reason: reason)
        bans[key] = ban
        return ban
    }

    /// Whether `host` (or, for IPv6, its /64) is banned at `now`.
    public func isBanned(_ host: String, now: UInt64) -> Bool { (bans[AddressBook.banKey(host)]?.until ?? 0) > now }

    /// What a ban on `host` is kept under: an IPv4 address as it is (an IPv4-mapped IPv6 address
    /// as its IPv4 form), an IPv6 address as its /64 (`2001:db8:1:2::/64`), anything else as given.
    public static func banKey(_ host: String) -> String {
        var v6 = in6_addr()
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        guard bare.contains(":"), inet_pton(AF_INET6, bare, &v6) == 1 else { return host }
        var bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return bytes[12..<16].map(String.init).joined(separator: ".")
        }
        for i in 8..<16 { bytes[i] = 0 }
        var groups = [String]()
        for i in stride(from: 0, to: 8, by: 2) { groups.append(String(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1]), radix: 16)) }
        return groups.joined(separator: ":") + "::/64"
    }

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
