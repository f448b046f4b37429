import KeelCore
import KeelStorage

#if canImport(Glibc)
    import Glibc
#endif

/// The peer addresses a node knows and the hosts it has banned: plain state, persisted by the
/// caller (every change returns what to write, and `takeDeletions()` what to delete), bounded so
/// `addr` floods cannot grow it or fill it from one place.
///
/// Learned addresses (`addr`, inbound peers' listen ports) live in buckets, as in Bitcoin Core's
/// addrman "new" table: an address goes to the bucket chosen by a salted hash of its network
/// group and the group of the peer that told us, and one source group reaches only 16 of the
/// buckets. A full bucket evicts its stalest entry, so an insert costs one bucket's scan, and
/// one host on many ports, or one peer's whole address list, can fill only its own buckets: it
/// cannot crowd out what other peers taught us (eclipse). Addresses the operator gave (seeds,
/// `--connect`, imports) are kept apart and never evicted. Keel keeps one table where Core keeps
/// "new" and "tried" (a success is recorded on the entry and ranks it first instead), and 256
/// buckets where Core has 1,024 + 256, because its book is a tenth of the size.
public struct AddressBook: Sendable {
    /// Most learned addresses kept (`bucketCount` buckets of `capacity / bucketCount`).
    public let capacity: Int
    /// Entries by `host:port`.
    public private(set) var records: [String: PeerRecord] = [:]
    /// Bans by host.
    public private(set) var bans: [String: BanRecord] = [:]
    /// Learned addresses by bucket.
    private var buckets: [[String]]
    private var bucketOf: [String: Int] = [:]
    private let bucketSize: Int
    private let salt: UInt64
    private var deletions: [String] = []

    /// Buckets for learned addresses (fewer for a smaller capacity).
    public static let maxBuckets = 256
    /// Buckets one source group can reach.
    public static let bucketsPerSource = 16

    /// An empty book.
    public init(capacity: Int = 10_000, salt: UInt64 = UInt64.random(in: 0...UInt64.max)) {
        self.capacity = capacity
        self.salt = salt
        let count = max(1, min(AddressBook.maxBuckets, capacity))
        buckets = Array(repeating: [], count: count)
        bucketSize = max(1, capacity / count)
    }

    /// A book loaded from storage, dropping expired bans. Learned addresses go through the
    /// buckets like new ones, so a book stored by an older or larger node comes back within the
    /// bounds; what does not fit is in `takeDeletions()`.
    public init(peers: [PeerRecord], bans: [BanRecord], now: UInt64, capacity: Int = 10_000) {
        self.init(capacity: capacity)
        // Most useful first, so a full bucket keeps those.
        for record in peers.sorted(by: { ($0.lastSuccess, $0.lastSeen) > ($1.lastSuccess, $1.lastSeen) }) {
            if AddressBook.isLearned(record.source) {
                if !insertLearned(record, from: nil) { deletions.append(record.address) }
            } else {
                records[record.address] = record
            }
        }
        for ban in bans where ban.until > now { self.bans[ban.host] = ban }
    }

    /// Number of addresses.
    public var count: Int { records.count }

    /// Addresses dropped from the book since the last call, to delete from storage.
    public mutating func takeDeletions() -> [String] {
        defer { deletions = [] }
        return deletions
    }

    static func isLearned(_ source: PeerRecord.Source) -> Bool { source == .addr || source == .inbound }

    /// Adds or refreshes an address; `from` is the host of the peer that told us (nil: the
    /// address's own host). A stronger source (seed, manual, imported) replaces a weaker one;
    /// learned addresses never overwrite what the operator configured. Returns the record to
    /// persist, or nil when nothing changed or its bucket is full of better entries.
    public mutating func add(host: String, port: UInt16, source: PeerRecord.Source, seen: UInt64, from: String? = nil) -> PeerRecord? {
        guard port != 0, !host.isEmpty else { return nil }
        let key = PeerRecord(host: host, port: port, source: source, lastSeen: seen).address
        if var existing = records[key] {
            var changed = false
            if source.rawValue < existing.source.rawValue {
                existing.source = source
                changed = true
                if !AddressBook.isLearned(source) { unbucket(key) }
            }
            if seen > existing.lastSeen + 60_000 {
                existing.lastSeen = seen
                changed = true
            }
            guard changed else { return nil }
            records[key] = existing
            return existing
        }
        let record = PeerRecord(host: host, port: port, source: source, lastSeen: seen)
        if AddressBook.isLearned(source) {
            return insertLearned(record, from: from) ? record : nil
        }
        records[key] = record
        return record
    }

    /// Puts a learned record in its bucket, evicting the bucket's stalest entry when full (if
    /// that is staler than the newcomer). Returns whether it went in.
    @discardableResult
    private mutating func insertLearned(_ record: PeerRecord, from: String?) -> Bool {
        let index = bucket(host: record.host, source: from ?? record.host)
        if buckets[index].count >= bucketSize {
            let rank = { (r: PeerRecord) in (r.lastSuccess, r.lastSeen) }
            guard let victim = buckets[index].compactMap({ records[$0] }).min(by: { rank($0) < rank($1) }),
                rank(victim) < rank(record)
            else { return false }
            records[victim.address] = nil
            unbucket(victim.address)
            deletions.append(victim.address)
        }
        records[record.address] = record
        buckets[index].append(record.address)
        bucketOf[record.address] = index
        return true
    }

    private mutating func unbucket(_ address: String) {
        guard let index = bucketOf.removeValue(forKey: address) else { return }
        buckets[index].removeAll { $0 == address }
    }

    /// The bucket of an address in `host`'s network group told by a peer in `source`'s.
    func bucket(host: String, source: String) -> Int {
        let group = AddressBook.networkGroup(host), sourceGroup = AddressBook.networkGroup(source)
        let slot = AddressBook.hash(salt, group, sourceGroup) % UInt64(AddressBook.bucketsPerSource)
        return Int(AddressBook.hash(salt, sourceGroup, String(slot)) % UInt64(buckets.count))
    }

    /// FNV-1a over the salt and the strings: cheap, and the salt keeps buckets unpredictable.
    static func hash(_ salt: UInt64, _ a: String, _ b: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ salt
        for byte in a.utf8 + [0] + b.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// The network group of a host, for spreading the book and outbound peers: IPv4 /16, IPv6
    /// /32, IPv4-mapped IPv6 as IPv4; a loopback or private host is its own group (a dev or LAN
    /// network has no other diversity to offer).
    public static func networkGroup(_ host: String) -> String {
        var bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare.hasPrefix("::ffff:"), bare.contains(".") { bare.removeFirst(7) }
        if DialPolicy.isLoopback(bare) || DialPolicy.isPrivate(bare) { return bare }
        if bare.contains(".") { return bare.split(separator: ".").prefix(2).joined(separator: ".") }
        return AddressBook.banKey(bare).split(separator: ":").prefix(2).joined(separator: ":")
    }

    /// Removes an address (for example our own, found by dialling it).
    public mutating func remove(_ address: String) -> Bool {
        unbucket(address)
        return records.removeValue(forKey: address) != nil
    }

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
    public func isBanned(_ host: String, now: UInt64) -> Bool { !bans.isEmpty && (bans[AddressBook.banKey(host)]?.until ?? 0) > now }

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
    public func candidates(
        now: UInt64, excluding: Set<String>, lastAttempt: [String: UInt64],
        priority: [String: Int] = [:]
    ) -> [PeerRecord] {
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

    /// Learned addresses per bucket (for tests and the bound's proof).
    public var bucketFill: [Int] { buckets.map(\.count) }
}
