import Dispatch
import KeelStorage
import KeelTesting
import Synchronization
import Testing

@Suite("RocksDB handles outlive every call that uses them", .ownThread, .keepsArtifacts)
struct RocksDatabaseLifetimeTests {
    @Test("close() while other threads read, scan and write: every call either completes or throws 'closed', and nothing crashes", arguments: 0..<5)
    func closeDuringUse(round: Int) throws {
        let dir = TemporaryDirectory("lifetime")
        let database = try RocksDatabase(path: dir.path + "/db", memory: .small)
        var batch = WriteBatch()
        for i in 0..<2_000 { batch.put(.blocks, [UInt8(i >> 8), UInt8(i & 0xff)], [UInt8](repeating: UInt8(i & 0xff), count: 64)) }
        try database.write(batch, sync: false)

        let completed = Atomic<Int>(0), closedErrors = Atomic<Int>(0), otherErrors = Atomic<Int>(0)
        let group = DispatchGroup()
        for worker in 0..<4 {
            DispatchQueue.global().async(group: group) {
                for i in 0..<400 {
                    do {
                        switch (worker + i) % 3 {
                        case 0: _ = try database.get(.blocks, [UInt8(i >> 8), UInt8(i & 0xff)])
                        case 1: try database.scan(.blocks) { _, _ in true }
                        default:
                            var one = WriteBatch()
                            one.put(.blocks, [9, UInt8(i & 0xff)], [1])
                            try database.write(one, sync: false)
                        }
                        completed.add(1, ordering: .relaxed)
                    } catch let error as StorageError where error.code == .closed {
                        closedErrors.add(1, ordering: .relaxed)
                    } catch {
                        otherErrors.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        // Close part-way through (the round moves the moment).
        group.enter()
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(5 + round * 10)) {
            database.close()
            group.leave()
        }
        group.wait()
        #expect(otherErrors.load(ordering: .relaxed) == 0)
        #expect(completed.load(ordering: .relaxed) + closedErrors.load(ordering: .relaxed) == 1_600)
        #expect(database.isClosed)
        #expect(throws: StorageError.self) { _ = try database.get(.blocks, [0, 0]) }
    }
}
