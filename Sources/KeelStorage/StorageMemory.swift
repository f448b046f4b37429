import KeelCore

/// How much memory RocksDB may hold: both figures are hard bounds, so the node's RSS cannot
/// grow through them, and both are reported (`keel_rocksdb_memtable_bytes`,
/// `keel_rocksdb_block_cache_bytes`).
public struct StorageMemory: Sendable, Equatable {
    /// Bytes all memtables may hold together before they are flushed.
    public var memtableBudget: Int
    /// Capacity of the one block cache every column family shares (data, index and filter blocks).
    public var blockCacheBytes: Int

    /// Bounds in bytes; RocksDB gets them as they are (no minimum is enforced).
    public init(memtableBudget: Int, blockCacheBytes: Int) {
        self.memtableBudget = memtableBudget
        self.blockCacheBytes = blockCacheBytes
    }

    /// For a node that runs for months: 64 MiB of memtables, a 32 MiB block cache.
    public static let standard = StorageMemory(memtableBudget: 64 << 20, blockCacheBytes: 32 << 20)
    /// For dev, which writes ten blocks a second and is what soaks run: small bounds reach their
    /// steady state within the first minute, so a soak's growth verdict is not the caches
    /// filling. 4 MiB of memtables, an 8 MiB block cache (RocksDB's own default size).
    public static let small = StorageMemory(memtableBudget: 4 << 20, blockCacheBytes: 8 << 20)

    /// Free space the node keeps on the data directory's disk: room for every family's memtable
    /// to flush twice over, plus RocksDB's 4 MiB MANIFEST preallocation. Writes pause below it,
    /// before RocksDB meets a full disk (whose error it keeps until space returns).
    public var freeSpaceFloor: UInt64 {
        let writeBuffer = UInt64(max(256 << 10, memtableBudget / 4))
        return 2 * writeBuffer * UInt64(ColumnFamily.allCases.count + 1) + (4 << 20)
    }

    /// The setting a node on `network` uses.
    public static func `for`(_ network: Network) -> StorageMemory { network == .dev ? .small : .standard }
}
