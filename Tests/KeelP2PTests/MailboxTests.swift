import KeelTesting
import Synchronization
import Testing

@testable import KeelP2P

@Suite("the mailbox between a session's reader, handler and writer")
struct MailboxTests {
    @Test("what is put while the consumer is away is taken in one go, in order; finish hands over the rest, then nil")
    func batchesAndFinish() async {
        let box = Mailbox<Int>()
        for i in 0..<5 { #expect(box.put(i)) }
        #expect(await box.takeAll() == [0, 1, 2, 3, 4])
        #expect(box.put(5))
        box.finish()
        #expect(!box.put(6), "a finished mailbox refuses")
        #expect(await box.takeAll() == [5])
        #expect(await box.takeAll() == nil)
    }

    @Test("a waiting consumer is woken by a put")
    func wakesConsumer() async {
        let box = Mailbox<Int>()
        async let taken = box.takeAll()
        // The consumer may or may not be waiting yet: either way it gets the item.
        #expect(box.put(7))
        #expect(await taken == [7])
    }

    @Test("a waiting producer stops at the capacity by weight and goes on once the consumer takes")
    func backpressure() async {
        let box = Mailbox<[UInt8]>(capacity: 100) { $0.count }
        #expect(await box.putWaiting([UInt8](repeating: 0, count: 40)))
        #expect(await box.putWaiting([UInt8](repeating: 0, count: 40)))
        let passed = Mutex(false)
        async let third: Bool = {
            let added = await box.putWaiting([UInt8](repeating: 0, count: 40))
            passed.withLock { $0 = true }
            return added
        }()
        // 120 bytes queued against 100: the producer waits until they are taken.
        #expect(await Poll.holds(within: 10) { box.hasWaitingProducer })
        #expect(!passed.withLock { $0 }, "the producer went on past the capacity")
        #expect(await box.takeAll()?.count == 3)
        #expect(await third)
        #expect(passed.withLock { $0 })
    }

    @Test("cancelling a waiting consumer ends the mailbox")
    func cancellation() async {
        let box = Mailbox<Int>()
        let consumer = Task { await box.takeAll() }
        consumer.cancel()
        #expect(await consumer.value == nil)
        #expect(box.isFinished)
    }
}
