import KeelCore
import KeelP2P
import KeelStorage
import KeelTesting
import Testing

@Suite("Address book and seen cache", .ownThread, .keepsArtifacts)
struct AddressBookTests {
    @Test("an IPv6 ban covers the host's /64; IPv4 and IPv4-mapped addresses are banned alone")
    func banPrefixes() {
        var book = AddressBook()
        let record = book.ban(host: "2001:db8:1:2:aaaa::1", until: 5_000, reason: "flood")
        #expect(record.host == "2001:db8:1:2::/64")
        #expect(book.isBanned("2001:db8:1:2:ffff:ffff:ffff:ffff", now: 1))
        #expect(book.isBanned("[2001:db8:1:2::9]", now: 1))
        #expect(!book.isBanned("2001:db8:1:3::1", now: 1))
        _ = book.ban(host: "::ffff:127.0.0.9", until: 5_000, reason: "flood")
        #expect(book.isBanned("127.0.0.9", now: 1))
        #expect(!book.isBanned("127.0.0.8", now: 1))
        #expect(AddressBook.banKey("127.0.0.1") == "127.0.0.1")
    }

    @Test("host scores: kept per host (IPv6 by /64) until their expiry, the lower one wins, bounded")
    func hostScores() {
        var scores = HostScores(capacity: 2)
        scores.remember(host: "127.0.0.5", score: 60, until: 1_000)
        scores.remember(host: "127.0.0.5", score: 90, until: 1_000)
        #expect(scores.score(for: "127.0.0.5", now: 10).value == 60)
        #expect(scores.score(for: "127.0.0.5", now: 1_000).value == 100, "expired")
        scores.remember(host: "2001:db8::1", score: 40, until: 5_000)
        #expect(scores.score(for: "2001:db8::ffff", now: 10).value == 40)
        scores.remember(host: "127.0.0.6", score: 100, until: 9_000)
        #expect(scores.count == 1, "a clean score is not stored")
        scores.remember(host: "127.0.0.7", score: 10, until: 9_000)
        scores.remember(host: "127.0.0.8", score: 10, until: 8_000)
        #expect(scores.count == 2)
        #expect(scores.score(for: "2001:db8::1", now: 10).value == 100, "the soonest to expire was dropped")
    }

    @Test("bans hold until their expiry and are dropped after it")
    func banExpiry() {
        var book = AddressBook()
        _ = book.ban(host: "10.0.0.1", until: 5_000, reason: "flood")
        #expect(book.isBanned("10.0.0.1", now: 4_999))
        #expect(!book.isBanned("10.0.0.2", now: 4_999))
        let early = book.expireBans(now: 4_999)
        #expect(early.isEmpty)
        let due = book.expireBans(now: 5_000)
        #expect(due == ["10.0.0.1"])
        #expect(!book.isBanned("10.0.0.1", now: 5_000))
        // A book loaded from storage drops bans that ended while the node was down.
        let loaded = AddressBook(peers: [], bans: [BanRecord(host: "a", until: 10, reason: "x"), BanRecord(host: "b", until: 99, reason: "x")], now: 50)
        #expect(loaded.bans.keys.sorted() == ["b"])
    }

    @Test("configured sources win over learned ones; learned addresses never overwrite them")
    func sourcePrecedence() {
        var book = AddressBook()
        let learned = book.add(host: "10.0.0.1", port: 9333, source: .addr, seen: 1)
        #expect(learned != nil)
        let configured = book.add(host: "10.0.0.1", port: 9333, source: .seed, seen: 1)
        #expect(configured?.source == .seed)
        let relearned = book.add(host: "10.0.0.1", port: 9333, source: .addr, seen: 2)
        #expect(relearned == nil)
        #expect(book.records["10.0.0.1:9333"]?.source == .seed)
        let portless = book.add(host: "10.0.0.1", port: 0, source: .addr, seen: 1)
        #expect(portless == nil)
    }

    @Test("failed addresses back off 2^failures seconds from their last attempt; fewer failures and configured order come first")
    func candidatesAndBackoff() {
        var book = AddressBook()
        _ = book.add(host: "10.0.0.1", port: 1, source: .seed, seen: 0)
        _ = book.add(host: "10.0.0.2", port: 1, source: .seed, seen: 0)
        _ = book.add(host: "10.0.0.3", port: 1, source: .addr, seen: 0)
        let priority = ["10.0.0.2:1": 0, "10.0.0.1:1": 1]
        #expect(
            book.candidates(now: 0, excluding: [], lastAttempt: [:], priority: priority).map(\.address)
                == ["10.0.0.2:1", "10.0.0.1:1", "10.0.0.3:1"])
        _ = book.markFailure("10.0.0.2:1")
        let attempts = ["10.0.0.2:1": UInt64(1_000)]
        #expect(
            book.candidates(now: 2_999, excluding: [], lastAttempt: attempts, priority: priority).map(\.address)
                == ["10.0.0.1:1", "10.0.0.3:1"])
        #expect(
            book.candidates(now: 3_000, excluding: [], lastAttempt: attempts, priority: priority).map(\.address)
                == ["10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"])
        _ = book.ban(host: "10.0.0.3", until: 10_000, reason: "flood")
        #expect(!book.candidates(now: 3_000, excluding: ["10.0.0.1:1"], lastAttempt: attempts).map(\.address).contains("10.0.0.3:1"))
    }

    @Test("a full bucket evicts its stalest learned entry (reported for deletion), never a configured one")
    func bucketEviction() {
        var book = AddressBook(capacity: 3)
        _ = book.add(host: "10.0.0.1", port: 1, source: .seed, seen: 0)
        // One source, one group: one bucket of one.
        _ = book.add(host: "10.0.0.2", port: 1, source: .addr, seen: 10, from: "10.9.9.9")
        _ = book.add(host: "10.0.0.2", port: 2, source: .addr, seen: 20, from: "10.9.9.9")
        #expect(book.records["10.0.0.1:1"] != nil, "the seed was evicted")
        #expect(book.records["10.0.0.2:1"] == nil && book.records["10.0.0.2:2"] != nil)
        #expect(book.takeDeletions() == ["10.0.0.2:1"])
        #expect(book.takeDeletions().isEmpty)
        // A staler newcomer does not push out a fresher entry.
        #expect(book.add(host: "10.0.0.2", port: 3, source: .addr, seen: 5, from: "10.9.9.9") == nil)
    }

    @Test("one peer's flood fills at most its sixteen buckets; one host on many ports fills one; others' addresses still get in")
    func spread() {
        var book = AddressBook()
        let bucketSize = 10_000 / AddressBook.maxBuckets
        for i in 0..<50_000 {
            _ = book.add(host: "\(1 + i % 200).\(i / 200 % 250).1.1", port: UInt16(1 + i % 7), source: .addr, seen: UInt64(i), from: "203.0.113.5")
        }
        #expect(book.count <= AddressBook.bucketsPerSource * bucketSize, "one source holds \(book.count)")
        #expect(book.bucketFill.allSatisfy { $0 <= bucketSize })
        var ports = AddressBook()
        for port in 1...5_000 { _ = ports.add(host: "198.51.100.7", port: UInt16(port), source: .addr, seen: UInt64(port), from: "198.51.100.7") }
        #expect(ports.count <= bucketSize, "one host on many ports holds \(ports.count)")
        // Other sources, other buckets: the flood did not crowd them out.
        var kept = 0
        for i in 0..<200 where book.add(host: "\(i + 1).200.7.7", port: 9333, source: .addr, seen: 100_000, from: "\(i + 1).99.0.1") != nil { kept += 1 }
        #expect(kept >= 150, "only \(kept) of 200 addresses from 200 other peers got in")
    }

    @Test("a stored book bigger than the bounds comes back within them, the rest reported for deletion")
    func reloadRespectsCap() {
        let stored =
            (0..<30_000).map { i in
                PeerRecord(host: "\(1 + i % 220).\(i / 220 % 250).3.4", port: 9333, source: .addr, lastSeen: UInt64(i))
            } + [PeerRecord(host: "127.0.0.1", port: 9333, source: .seed, lastSeen: 0)]
        var book = AddressBook(peers: stored, bans: [], now: 0)
        #expect(book.count <= book.capacity + 1)
        #expect(book.records["127.0.0.1:9333"] != nil)
        let deleted = book.takeDeletions()
        #expect(book.count + deleted.count == stored.count)
    }

    @Test("the seen cache forgets the oldest hash first and never grows past its capacity")
    func seenCache() {
        var cache = SeenCache(capacity: 3)
        let hashes = (0..<5).map { Hash256(bytes: [UInt8](repeating: UInt8($0), count: 32))! }
        for hash in hashes.prefix(3) {
            let fresh = cache.insert(hash)
            #expect(fresh)
        }
        let again = cache.insert(hashes[0])
        #expect(!again)
        cache.insert(hashes[3])
        #expect(!cache.contains(hashes[0]))
        #expect(cache.contains(hashes[1]) && cache.contains(hashes[3]))
        cache.insert(hashes[4])
        #expect(cache.count == 3)
    }
}
