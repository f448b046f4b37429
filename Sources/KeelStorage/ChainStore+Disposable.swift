import KeelCore
import Synchronization

/// Damaged records dropped from disposable column families, by family (`droppedRecords`).
final class DroppedRecords: Sendable {
    private let counts = Mutex<[ColumnFamily: Int]>([:])
    func add(_ family: ColumnFamily, _ count: Int) { counts.withLock { $0[family, default: 0] += count } }
    var snapshot: [ColumnFamily: Int] { counts.withLock { $0 } }
}

extension ChainStore {
    /// Damaged records dropped since the store opened, by column family: only the disposable
    /// ones (peers, mempool) are ever dropped; damage in chain data is refused.
    public var droppedRecords: [ColumnFamily: Int] { dropped.snapshot }

    /// Scans a disposable family: `body` gets each payload whose checksum holds and returns
    /// whether it decoded. A record that fails either is deleted and counted. Damage RocksDB
    /// itself reports (a table that fails its checksum) still throws: that is not one record.
    func scanDisposable(_ family: ColumnFamily, prefix: [UInt8] = [], _ body: ([UInt8]) throws -> Bool) throws {
        var damaged = [[UInt8]]()
        try database.scan(family, prefix: prefix) { key, raw in
            if let payload = Checksum.open(key: key, value: raw), try body(payload) { return true }
            damaged.append(key)
            return true
        }
        guard !damaged.isEmpty else { return }
        dropped.add(family, damaged.count)
        var batch = WriteBatch()
        for key in damaged { batch.delete(family, key) }
        do {
            try write(batch, sync: false)
        } catch {
            // Best effort: a key left behind is skipped and counted again at the next start, and
            // the write gate has counted a failing disk.
        }
    }
}
