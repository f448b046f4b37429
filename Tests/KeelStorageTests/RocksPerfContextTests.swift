import CRocksDB
import KeelStorage
import KeelTesting
import Testing

@Suite("RocksDB's perf context counts nothing on threads that use the store", .ownThread, .keepsArtifacts)
struct RocksPerfContextTests {
    @Test("writes and reads through RocksDatabase leave the calling thread's key-comparison count at zero, even after it was turned on")
    func countsNothing() throws {
        let dir = TemporaryDirectory("perf-context")
        let database = try RocksDatabase(path: dir.path + "/db", memory: .small)
        // RocksDB's default for every thread: counting on (kEnableCount).
        rocksdb_set_perf_level(Int32(rocksdb_enable_count))
        let context = rocksdb_perfcontext_create()
        defer { rocksdb_perfcontext_destroy(context) }
        rocksdb_perfcontext_reset(context)
        var batch = WriteBatch()
        for i in 0..<500 { batch.put(.blocks, [UInt8(i % 251), UInt8(i / 251), 7], [1]) }
        try database.write(batch, sync: false)
        for i in 0..<500 { #expect(try database.get(.blocks, [UInt8(i % 251), UInt8(i / 251), 7]) == [1]) }
        #expect(try database.get(.blocks, [0, 9, 9]) == nil)
        // Counted, these inserts and lookups come to some 36,000 comparisons, each of which
        // reached the perf context's thread-local struct.
        #expect(rocksdb_perfcontext_metric(context, Int32(rocksdb_user_key_comparison_count)) == 0)
    }
}
