import KeelCore
import KeelTesting
import Testing

@testable import KeelP2P

@Suite("Block import queue: bounded, in order, and what is taken still counts until finished")
struct BlockImportQueueTests {
    static func entries(_ count: Int, size: Int = 1_000) throws -> [BlockImportQueue.Entry] {
        let chain = try TestChain()
        return try chain.extend(count).map { BlockImportQueue.Entry(block: $0, hash: $0.hash, item: nil, peer: 1, size: size) }
    }

    @Test("bounded in blocks and in bytes; a block is queued once")
    func bounds() throws {
        let blocks = try Self.entries(6)
        var byCount = BlockImportQueue(limits: .init(blocks: 4, bytes: 1 << 20, batch: 2))
        var added = blocks.map { byCount.add($0) }
        #expect(added == [true, true, true, true, false, false])
        #expect(byCount.isFull)
        var byBytes = BlockImportQueue(limits: .init(blocks: 100, bytes: 2_500, batch: 2))
        added = blocks.map { byBytes.add($0) }
        #expect(added == [true, true, true, false, false, false])
        var once = BlockImportQueue()
        let first = once.add(blocks[0]), second = once.add(blocks[0])
        #expect(first && !second)
        #expect(once.count == 1)
    }

    @Test("taken in arrival order, a batch at a time; taken blocks count for contains until finished")
    func takeAndFinish() throws {
        let blocks = try Self.entries(5)
        var queue = BlockImportQueue(limits: .init(blocks: 10, bytes: 1 << 20, batch: 3))
        for block in blocks {
            let added = queue.add(block)
            #expect(added)
        }
        #expect(queue.highestHeight == 5)
        let first = queue.take()
        #expect(first.map(\.hash) == blocks.prefix(3).map(\.hash))
        #expect(queue.count == 2)
        #expect(queue.contains(blocks[0].hash), "a child arriving now must not be taken for an orphan")
        queue.finish()
        #expect(!queue.contains(blocks[0].hash))
        #expect(queue.contains(blocks[4].hash))
        #expect(queue.take().map(\.hash) == blocks.suffix(2).map(\.hash))
        queue.finish()
        #expect(queue.take().isEmpty)
        #expect(queue.highestHeight == 0)
        #expect(queue.bytes == 0)
    }
}
