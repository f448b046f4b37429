import Foundation
import KeelCore
import KeelStorage
import KeelTesting
import Synchronization
import Testing

@Suite("RocksDB store", .ownThread, .keepsArtifacts)
struct ChainStoreTests {
    @Test("closing and reopening the same directory in one process works, and values survive")
    func reopen() throws {
        let dir = TemporaryDirectory("store")
        for round in 0..<3 {
            let store = try ChainStore(directory: dir.path, network: .dev)
            var batch = WriteBatch()
            batch.putHeight(UInt64(round), hash: Hash256(bytes: [UInt8](repeating: UInt8(round), count: 32))!)
            try store.write(batch, sync: true)
            for previous in 0...round {
                #expect(try store.hash(atHeight: UInt64(previous))?.bytes.first == UInt8(previous))
            }
            store.close()
            store.close()  // twice is harmless
        }
    }

    @Test("the write timer's sink is called at the same stack depth on the 500th write as on the first")
    func writeTimerDepth() throws {
        // A bare closure read out of a Mutex gained two thunks per read (swiftlang/swift#91348):
        // every write then called one layer deeper than the last, and kept the layers on the heap.
        let dir = TemporaryDirectory("timer")
        let store = try ChainStore(directory: dir.path, network: .dev)
        defer { store.close() }
        let depths = Mutex<[Int]>([])
        store.writeTimer.report { _, _ in
            let depth = Thread.callStackReturnAddresses.count
            depths.withLock { $0.append(depth) }
        }
        for i in 0..<500 {
            var batch = WriteBatch()
            batch.putHeight(UInt64(i), hash: Hash256(bytes: [UInt8](repeating: UInt8(i % 256), count: 32))!)
            try store.write(batch, sync: false)
        }
        let seen = depths.withLock { $0 }
        #expect(seen.count == 500)
        #expect(seen.last == seen.first, "stack depth \(seen.first ?? 0) at the first write, \(seen.last ?? 0) at the last")
    }

    @Test("active-chain hashes come in one range scan: in order, up to the limit, ending where the heights do")
    func hashesFromHeight() throws {
        let dir = TemporaryDirectory("heights")
        let store = try ChainStore(directory: dir.path, network: .dev)
        defer { store.close() }
        let hash = { (i: UInt64) in Hash256(bytes: [UInt8](repeating: UInt8(i), count: 32))! }
        var batch = WriteBatch()
        for height: UInt64 in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12] { batch.putHeight(height, hash: hash(height)) }
        try store.write(batch, sync: false)
        #expect(try store.hashes(fromHeight: 3, limit: 4) == (3...6).map(hash))
        #expect(try store.hashes(fromHeight: 7, limit: 100) == (7...9).map(hash), "a gap ends the chain")
        #expect(try store.hashes(fromHeight: 10, limit: 5).isEmpty)
        #expect(try store.hashes(fromHeight: 0, limit: 0).isEmpty)
    }

    @Test("header records are read together, nil where a hash is unknown")
    func headersTogether() throws {
        let chain = try TestChain()
        defer { chain.close() }
        let blocks = try chain.extend(3)
        let unknown = Hash256(bytes: [UInt8](repeating: 9, count: 32))!
        let records = try chain.store.headers([blocks[2].hash, unknown, blocks[0].hash])
        #expect(records.map { $0?.header.hash } == [blocks[2].hash, nil, blocks[0].hash])
    }

    @Test("only the headers family keeps bloom filters, in its tables and its memtable (RocksDB's OPTIONS file says so)")
    func bloomFilters() throws {
        let dir = TemporaryDirectory("filters")
        let store = try ChainStore(directory: dir.path, network: .dev)
        store.close()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/chain").filter { $0.hasPrefix("OPTIONS-") }.sorted()
        let text = try String(contentsOfFile: dir.path + "/chain/" + #require(files.last), encoding: .utf8)
        // Each family's section runs from its header to the next.
        func section(_ header: String) -> String {
            guard let start = text.range(of: header) else { return "" }
            let rest = text[start.upperBound...]
            return String(rest[..<(rest.range(of: "\n[")?.lowerBound ?? rest.endIndex)])
        }
        #expect(section("[TableOptions/BlockBasedTable \"headers\"]").contains("filter_policy=bloomfilter"))
        #expect(section("[CFOptions \"headers\"]").contains("memtable_whole_key_filtering=true"))
        for family in ColumnFamily.allCases where family != .headers {
            #expect(section("[TableOptions/BlockBasedTable \"\(family.rawValue)\"]").contains("filter_policy=nullptr"), "\(family.rawValue)")
        }
    }

    @Test("a second open of a held directory fails fast with the holder's pid")
    func lock() throws {
        let dir = TemporaryDirectory("lock")
        let first = try ChainStore(directory: dir.path, network: .dev)
        let error = #expect(throws: StorageError.self) { try ChainStore(directory: dir.path, network: .dev) }
        #expect(error?.code == .locked)
        #expect(error?.message.contains("already running") == true)
        #expect(error?.message.contains("pid \(getpid())") == true)
        first.close()
    }

    @Test("a directory this process just closed opens again while a forked child still holds copies of its descriptors")
    func reopenWhileChildHoldsDescriptors() throws {
        let dir = TemporaryDirectory("lock-child")
        let first = try ChainStore(directory: dir.path, network: .dev)
        // What a vfork by another thread leaves until the child's exec: the lock's descriptor
        // copied into a child. This child only sleeps and exits (nothing else is safe after a
        // fork in a threaded process).
        let child = fork()
        if child == 0 {
            usleep(60_000)
            _exit(0)
        }
        #expect(child > 0)
        first.close()
        let second = try ChainStore(directory: dir.path, network: .dev)
        second.close()
        var status: Int32 = 0
        #expect(waitpid(child, &status, 0) == child)
    }

    @Test("a directory of another network is refused")
    func networkIdentity() throws {
        let dir = TemporaryDirectory("net")
        try ChainStore(directory: dir.path, network: .dev).close()
        let error = #expect(throws: StorageError.self) { try ChainStore(directory: dir.path, network: .main) }
        #expect(error?.message.contains("dev network") == true, "\(String(describing: error))")
    }

    @Test("a flipped byte or a truncated value fails its checksum with a message naming where")
    func checksums() throws {
        let dir = TemporaryDirectory("crc")
        let store = try ChainStore(directory: dir.path, network: .dev)
        defer { store.close() }
        let hash = Hash256(bytes: [UInt8](repeating: 4, count: 32))!
        var batch = WriteBatch()
        batch.putHeight(5, hash: hash)
        try store.write(batch, sync: true)
        let key: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 5]
        var raw = try #require(try store.database.get(.heightIndex, key))
        raw[3] ^= 0x01
        var flip = WriteBatch()
        flip.put(.heightIndex, key, raw)
        try store.write(flip, sync: true)
        let flipped = #expect(throws: StorageError.self) { try store.hash(atHeight: 5) }
        #expect(flipped?.code == .corruption)
        #expect(flipped?.message.contains("height_index") == true)
        var cut = WriteBatch()
        cut.put(.heightIndex, key, [1, 2])
        try store.write(cut, sync: true)
        #expect(throws: StorageError.self) { try store.hash(atHeight: 5) }
    }

    @Test("read-only open of a missing directory says so")
    func missing() {
        let error = #expect(throws: StorageError.self) { try ChainStore(directory: "/nonexistent/keel", network: .dev, readOnly: true) }
        #expect(error?.code == .notFound)
    }

    @Test("address index prefix scans see only their owner, in outpoint order, paged")
    func addressIndex() throws {
        let dir = TemporaryDirectory("addr")
        let store = try ChainStore(directory: dir.path, network: .dev)
        defer { store.close() }
        let alice = AddressHash(bytes: [UInt8](repeating: 1, count: 20))!
        let bob = AddressHash(bytes: [UInt8](repeating: 2, count: 20))!
        var batch = WriteBatch()
        for i in 0..<50 {
            let owner = i % 2 == 0 ? alice : bob
            batch.addUTXO(
                OutPoint(txid: Hash256(bytes: [UInt8](repeating: UInt8(i), count: 32))!, index: 0),
                UTXOEntry(output: TxOutput(amount: Amount(units: UInt64(i)), addressHash: owner), height: 1, isCoinbase: false))
        }
        try store.write(batch, sync: true)
        let balance = try store.balance(of: alice)
        #expect(balance.count == 25)
        let evens: UInt64 = (0..<50).filter { $0 % 2 == 0 }.reduce(0) { $0 + UInt64($1) }
        #expect(balance.amount.units == evens)
        let firstPage = try store.unspent(of: alice, limit: 10)
        let secondPage = try store.unspent(of: alice, after: firstPage.last?.0, limit: 100)
        #expect(firstPage.count == 10)
        #expect(secondPage.count == 15)
        let outpoints: [OutPoint] = (firstPage + secondPage).map(\.0)
        #expect(Set(outpoints).count == 25)
        #expect(outpoints == outpoints.sorted())
    }
}

#if canImport(Glibc)
    import Glibc
#endif

@Suite("RocksDB memory bounds", .ownThread, .keepsArtifacts)
struct RocksMemoryTests {
    @Test("reading far more than the block cache holds fills it and keeps it within its capacity")
    func blockCacheBounded() throws {
        let dir = TemporaryDirectory("cache")
        let capacity = 1 << 20
        let database = try RocksDatabase(path: dir.path + "/db", memory: StorageMemory(memtableBudget: 1 << 20, blockCacheBytes: capacity))
        defer { database.close() }
        #expect(database.blockCacheCapacity == capacity)
        // 8 MiB of values through a 1 MiB memtable budget: most of it is flushed to SST files,
        // so reading it back goes through the block cache.
        let value = [UInt8](repeating: 0xab, count: 4_096)
        for chunk in 0..<8 {
            var batch = WriteBatch()
            for i in 0..<256 { batch.put(.blocks, [UInt8(chunk), UInt8(i)], value) }
            try database.write(batch, sync: false)
        }
        #expect(database.blockCacheUsage ?? -1 <= capacity)
        for chunk in 0..<8 {
            for i in 0..<256 { #expect(try database.get(.blocks, [UInt8(chunk), UInt8(i)]) == value) }
        }
        let usage = try #require(database.blockCacheUsage)
        #expect(usage > capacity / 2, "the reads should have filled the cache: \(usage) bytes")
        #expect(usage <= capacity, "\(usage) bytes in a \(capacity)-byte cache")
        database.close()
        #expect(database.blockCacheUsage == nil)
    }

    @Test("each network gets its storage memory bounds, and a caller may choose others")
    func boundsByNetwork() throws {
        for (network, expected) in [(Network.dev, StorageMemory.small), (.test, .standard), (.main, .standard)] {
            let dir = TemporaryDirectory("bounds")
            let store = try ChainStore(directory: dir.path, network: network)
            #expect(store.database.blockCacheCapacity == expected.blockCacheBytes, "\(network.name)")
            store.close()
        }
        let dir = TemporaryDirectory("bounds")
        let store = try ChainStore(directory: dir.path, network: .dev, memory: .standard)
        #expect(store.database.blockCacheCapacity == 32 << 20)
        store.close()
    }
}
