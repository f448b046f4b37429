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

    /// Decodes every record of a disposable family. A record whose checksum fails or that
    /// `decode` throws on is deleted and counted, not returned. Damage RocksDB itself reports
    /// (a table that fails its checksum) still throws: that is not one record.
    func scanDisposable<T>(_ family: ColumnFamily, prefix: [UInt8] = [], decode: ([UInt8]) throws -> T) throws -> [T] {
        var damaged = [[UInt8]]()
        var records = [T]()
        try database.scan(family, prefix: prefix) { key, raw in
            guard let payload = Checksum.open(key: key, value: raw) else {
                damaged.append(key)
                return true
            }
            do {
                records.append(try decode(payload))
            } catch {
                damaged.append(key)  // does not decode: as damaged as a failed checksum
            }
            return true
        }
        dropDamaged(family, damaged)
        return records
    }

    private func dropDamaged(_ family: ColumnFamily, _ damaged: [[UInt8]]) {
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
