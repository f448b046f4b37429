import CJemalloc
import CKeelSupport
import Synchronization

/// The memory allocator every Keel process runs on: jemalloc, linked ahead of glibc's malloc.
///
/// glibc's allocator lets a long-running node's RSS drift upwards while live memory stays flat:
/// it keeps freed blocks resident, raises its mmap threshold as large blocks come and go (so
/// RocksDB's memtable arenas land in the heap), and fragments across up to eight arenas per core.
/// Measured on a dev node mining and paying for 20 minutes after warm-up: glibc as shipped grew
/// 650 bytes of unaccounted RSS per block; tuned (64 KiB mmap threshold, two arenas, trimmed
/// every 10 s) 70 to 150 bytes and a 1.4 MiB swing; jemalloc with the settings in
/// `keel_allocator_settings` 23 bytes (noise) within 0.7 MiB.
public enum Heap {
    /// The allocator's figures.
    public struct Stats: Sendable, Equatable {
        /// Bytes in live allocations.
        public var allocated: UInt64
        /// Bytes of physical pages the allocator holds (live data, its metadata, partly used pages).
        public var resident: UInt64
        /// What the allocator holds beyond live data.
        public var overhead: UInt64 { resident > allocated ? resident - allocated : 0 }
    }

    /// Reads the figures (jemalloc's `stats.allocated` and `stats.resident`, refreshed).
    public static func read() -> Stats {
        _ = keel_je_refresh()
        return Stats(allocated: UInt64(keel_je_size("stats.allocated")), resident: UInt64(keel_je_size("stats.resident")))
    }

    /// "jemalloc VERSION (narenas N, dirty_decay_ms D)", or nil when jemalloc does not answer.
    public static var description: String? {
        guard let version = keel_je_version() else { return nil }
        return "jemalloc \(String(cString: version)) (narenas \(keel_je_unsigned("opt.narenas")), dirty_decay_ms \(keel_je_signed("opt.dirty_decay_ms")))"
    }

    /// The settings Keel asks jemalloc for (overridden by MALLOC_CONF in the environment).
    public static var settings: String { String(cString: keel_allocator_settings()) }

    /// How long freed pages stay resident while `bulk` runs.
    public static let bulkDecayMilliseconds = 1_000

    /// Runs `body` with freed pages kept for reuse for about `bulkDecayMilliseconds` instead of
    /// returned at once; when no other bulk work runs, they are all returned and the settings'
    /// no-decay holds again.
    ///
    /// Returning each freed page at once keeps RSS at live memory, which the memory account and
    /// the soak's growth verdict rely on, but each return is an `madvise` whose TLB shootdown
    /// interrupts every core the process runs on, and the page faults in again when reused. A
    /// sync frees and allocates blocks, frames and batches by the thousand a second: the returns
    /// and faults were 8% of a syncing node's CPU and 14% of its serving peer's, and with this
    /// around the importer and `getdata` answers a sync of 10,000 blocks from one peer took
    /// 0.47-0.50 s against 0.52-0.61 s (keel-bench sync, medians of 4, run alternately). Bulk
    /// work is brief and ends with everything returned, so what the account reads between
    /// imports is unchanged. A decay set through MALLOC_CONF is left alone.
    public static func bulk<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        // The setting changes under the lock, so an ending scope cannot undo a starting one's.
        bulkWork.withLock { count in
            count += 1
            if count == 1, relaxable { _ = keel_je_set_decay(bulkDecayMilliseconds, 0) }
        }
        defer {
            bulkWork.withLock { count in
                count -= 1
                if count == 0, relaxable { _ = keel_je_set_decay(0, 0) }
            }
        }
        return try body()
    }

    /// The decay each arena has now (arena 0's): 0 outside bulk work with Keel's settings.
    public static var currentDecayMilliseconds: Int { keel_je_arena_signed(0, "dirty_decay_ms") }

    /// Bulk work running now (see `bulk`).
    private static let bulkWork = Mutex(0)
    /// Whether jemalloc runs with no decay (Keel's settings), so bulk work may relax it.
    private static let relaxable = keel_je_signed("opt.dirty_decay_ms") == 0
}
