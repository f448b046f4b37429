import Foundation
import KeelCore
import KeelSidecar
import KeelStorage
import KeelTesting

/// What a node's memory costs per stored block: a chain grows forever, so anything kept per
/// block in memory is growth that no warm-up outlasts (the memory soak judges exactly that).
enum MemoryBench {
    /// Starts `keel-node` on chains of several lengths (premined in-process, no mining) and
    /// reads its RSS once it is ready; the slope between the two longest chains is the
    /// per-block cost. RocksDB's caches are bounded and reported beside it, so a filling cache
    /// is not mistaken for per-block cost. Reference: the header record's size on disk.
    static func run() async throws {
        let lengths = [0, 10_000, 30_000]
        var rows = [(blocks: Int, rss: Double, caches: Double)]()
        for length in lengths {
            let dir = TemporaryDirectory("bench-memory")
            if length > 0 {
                try await OffPool.run {
                    let fixture = try TestChain(directory: dir)
                    defer { fixture.close() }
                    try fixture.premine(length)
                }
            }
            let node = try await NodeProcess.start(directory: dir.path, ["--max-tip-age", "100000000"])
            let ready = await Poll.until(timeout: 300, interval: 0.1) { (try? node.client.raw("/ready").status) == 200 }
            precondition(ready && node.height == UInt64(length), "the node did not come up at height \(length)")
            // RSS is read three times a second apart and the median kept, so one allocator
            // moment does not decide the figure.
            var samples = [Double]()
            for _ in 0..<3 {
                try await Task.sleep(for: .seconds(1))
                samples.append(Double(P2PBench.rss(node.process.pid)))
            }
            let text = try MetricsText(node.client.metrics())
            let caches = (text.value("keel_rocksdb_block_cache_bytes") ?? 0) + (text.sum("keel_rocksdb_memtable_bytes") ?? 0)
            rows.append((length, Measure.median(samples), caches))
            _ = await node.stop()
        }
        let (short, long) = (rows[1], rows[2])
        let perBlock = ((long.rss - long.caches) - (short.rss - short.caches)) / Double(long.blocks - short.blocks)
        let sample = HeaderRecord(header: BlockHeader(version: 1, height: 1, previousHash: .zero, merkleRoot: .zero, timestamp: 0,
                                                      target: CompactTarget(bits: 0x2000_ffff), nonce: 0),
                                  cumulativeWork: .zero, status: .valid, sequence: 0)
        let onDisk = 32 + sample.encoded.count
        print("## Memory per stored block (keel-node --dev opened on premined chains, not mining)")
        for row in rows {
            print("\(row.blocks) blocks: RSS \(mib(row.rss)) MiB, of which RocksDB block cache + memtables \(mib(row.caches)) MiB (bounded)")
        }
        print("per block beyond the caches: \(Int(perBlock.rounded())) bytes")
        print("per day: \(Measure.format(perBlock * 1_440 / 1_048_576, 2)) MiB on main (60 s blocks), "
              + "\(Measure.format(perBlock * 864_000 / 1_048_576, 0)) MiB on dev (100 ms blocks)")
        print("reference: a header record on disk is \(onDisk) bytes (key + value) "
              + "(in memory at \(Measure.format(perBlock / Double(onDisk), 1))x that)")
        print("")
        fflush(nil)
    }

    static func mib(_ bytes: Double) -> String { Measure.format(bytes / 1_048_576, 1) }
}
