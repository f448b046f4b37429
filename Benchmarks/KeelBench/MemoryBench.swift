import Foundation
import KeelCore
import KeelFiles
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
        let lengths = [0, 10_000, 30_000, 100_000]
        var rows = [(blocks: Int, rss: Double, caches: Double, window: Double, startup: Double)]()
        for length in lengths {
            let dir = TemporaryDirectory("bench-memory")
            if length > 0 {
                try await Blocking.run {
                    let fixture = try TestChain(directory: dir)
                    defer { fixture.close() }
                    try fixture.premine(length)
                }
            }
            // Start-up: from spawning the process to /ready answering 200 (open, checks, load).
            let spawned = ContinuousClock.now
            let node = try await NodeProcess.start(directory: dir.path, ["--max-tip-age", "100000000"])
            let ready = await Poll.holds(within: 300, interval: 0.01) { (try? node.client.raw("/ready").status) == 200 }
            let startup = Measure.seconds(ContinuousClock.now - spawned)
            precondition(ready && node.height == UInt64(length), "the node did not come up at height \(length)")
            // RSS is read three times a second apart and the median kept, so one allocator
            // moment does not decide the figure.
            var samples = [Double]()
            for _ in 0..<3 {
                try await Task.sleep(for: .seconds(1))
                samples.append(Double(NodeProcess.rss(node.process.pid)))
            }
            let text = try MetricsText(node.client.metrics())
            let caches = (text.value("keel_rocksdb_block_cache_bytes") ?? 0) + (text.sum("keel_rocksdb_memtable_bytes") ?? 0)
            rows.append((length, Measure.median(samples), caches, text.value("keel_chain_header_window_bytes") ?? 0, startup))
            _ = await node.stop()
        }
        let sample = HeaderRecord(
            header: BlockHeader(
                version: 1, height: 1, previousHash: .zero, merkleRoot: .zero, timestamp: 0,
                target: CompactTarget(bits: 0x2000_ffff), nonce: 0),
            cumulativeWork: .zero, status: .valid, sequence: 0)
        let onDisk = 32 + sample.encoded.count
        print("## Memory per stored block (keel-node --dev opened on premined chains, not mining)")
        for row in rows {
            print(
                "\(row.blocks) blocks: RSS \(mib(row.rss)) MiB, of which RocksDB block cache + memtables \(mib(row.caches)) MiB "
                    + "and header window \(mib(row.window)) MiB (bounded); start-up to ready \(Measure.format(row.startup * 1000, 0)) ms")
        }
        let base = rows[1]
        for row in rows.dropFirst(2) {
            let perBlock = ((row.rss - row.caches) - (base.rss - base.caches)) / Double(row.blocks - base.blocks)
            print(
                "per block beyond the caches, \(base.blocks) to \(row.blocks) blocks: \(Measure.format(perBlock, 1)) bytes "
                    + "(target at most 16; reference: a header record on disk is \(onDisk) bytes, key + value)")
        }
        let perBlock = ((rows[3].rss - rows[3].caches) - (base.rss - base.caches)) / Double(rows[3].blocks - base.blocks)
        print(
            "per day at that rate: \(Measure.format(perBlock * 1_440 / 1_048_576, 3)) MiB on main (60 s blocks), "
                + "\(Measure.format(perBlock * 864_000 / 1_048_576, 1)) MiB on dev (100 ms blocks)")
        print(
            "start-up at \(rows[3].blocks) blocks against an empty chain: \(Measure.format(rows[3].startup / rows[0].startup, 2))x "
                + "(target at most 1.5x)")
        print("")
        fflush(nil)
    }

    static func mib(_ bytes: Double) -> String { Measure.format(bytes / 1_048_576, 1) }
}
