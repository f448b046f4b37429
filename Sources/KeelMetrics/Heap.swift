import CJemalloc
import CKeelSupport

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
}
