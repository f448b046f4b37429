import Foundation
import KeelStorage
import KeelTesting
import Testing

@Suite("utxo and tx_index keep hashed memtables, and still read and scan as ordered families", .ownThread, .keepsArtifacts)
struct HashedMemtableTests {
    @Test("only utxo and tx_index hash their memtables, on a 32-byte prefix (RocksDB's OPTIONS file says so)")
    func options() throws {
        let dir = TemporaryDirectory("hashed-options")
        let store = try ChainStore(directory: dir.path, network: .dev)
        store.close()
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/chain").filter { $0.hasPrefix("OPTIONS-") }.sorted()
        let text = try String(contentsOfFile: dir.path + "/chain/" + #require(files.last), encoding: .utf8)
        func section(_ family: ColumnFamily) -> String {
            guard let start = text.range(of: "[CFOptions \"\(family.rawValue)\"]") else { return "" }
            let rest = text[start.upperBound...]
            return String(rest[..<(rest.range(of: "\n[")?.lowerBound ?? rest.endIndex)])
        }
        for family in ColumnFamily.allCases {
            let options = section(family)
            #expect(!options.isEmpty, "\(family.rawValue)")
            if family == .utxo || family == .txIndex {
                #expect(options.contains("memtable_factory={id=HashSkipListRepFactory;"), "\(family.rawValue)")
                #expect(options.contains("prefix_extractor=rocksdb.FixedPrefix.32"), "\(family.rawValue)")
            } else {
                #expect(options.contains("memtable_factory=SkipListFactory"), "\(family.rawValue)")
                #expect(options.contains("prefix_extractor=nullptr"), "\(family.rawValue)")
            }
        }
    }

    /// Keys as the `utxo` family has them: txid (32) + output index (UInt32 BE).
    static func outpoint(_ txid: [UInt8], _ index: UInt32) -> [UInt8] {
        txid + [UInt8(index >> 24), UInt8((index >> 16) & 0xff), UInt8((index >> 8) & 0xff), UInt8(index & 0xff)]
    }

    @Test(
        "one transaction's 5,000 outputs (one bucket) among 2,000 others', written out of order, half deleted: each reads back, and scans come in key order, whole and by txid, in the memtable, across a flush and after a reopen"
    )
    func keyOrder() throws {
        var random = SeededGenerator(seed: 17)
        let txids = (0..<2_001).map { _ in (0..<32).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        var keys = (0..<5_000).map { Self.outpoint(txids[0], UInt32($0)) } + txids.dropFirst().map { Self.outpoint($0, UInt32(random.next() % 4)) }
        keys.shuffle(using: &random)
        let value = { (key: [UInt8]) in key.reversed() + [UInt8](repeating: key[35], count: 160) }
        let dir = TemporaryDirectory("hashed-order")
        // Small memtables (1 MiB): the 7,000 values of 200 bytes flush part-way through.
        var database = try RocksDatabase(path: dir.path + "/db", memory: .small)
        for chunk in stride(from: 0, to: keys.count, by: 500) {
            var batch = WriteBatch()
            for key in keys[chunk..<min(chunk + 500, keys.count)] { batch.put(.utxo, key, value(key)) }
            try database.write(batch, sync: false)
        }
        var batch = WriteBatch()
        for key in keys[..<3_500] { batch.delete(.utxo, key) }
        try database.write(batch, sync: false)
        let live = keys[3_500...].sorted { $0.lexicographicallyPrecedes($1) }

        func check(_ when: String) throws {
            var scanned = [[UInt8]]()
            try database.scan(.utxo) { key, payload in
                #expect(payload == value(key))
                scanned.append(key)
                return true
            }
            #expect(scanned == live, "\(when): the whole family in key order")
            var ofOne = [[UInt8]]()
            try database.scan(.utxo, prefix: txids[0]) { key, _ in
                ofOne.append(key)
                return true
            }
            #expect(ofOne == live.filter { $0.starts(with: txids[0]) }, "\(when): one transaction's outputs")
            #expect(ofOne.count > 2_000 && ofOne.count < 3_000, "\(when)")
            let sample = Array(keys[3_400..<3_600])
            let values = try database.multiGet(.utxo, sample)
            for (i, key) in sample.enumerated() { #expect(values[i] == (i < 100 ? nil : value(key)), "\(when)") }
            #expect(try database.get(.utxo, keys[0]) == nil, "\(when)")
            #expect(try database.get(.utxo, keys[keys.count - 1]) == value(keys[keys.count - 1]), "\(when)")
        }
        try check("in use")
        #expect(database.close() == nil)
        database = try RocksDatabase(path: dir.path + "/db", memory: .small)
        try check("reopened")
        #expect(database.close() == nil)
    }
}
