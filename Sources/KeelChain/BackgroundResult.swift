import Dispatch
import Foundation
import Synchronization

/// A value computed on another thread while the importer goes on, waited for when it is
/// needed: a group's synced write (on a thread of its own: the fsync waits on the disk, not the
/// CPU) and a block's signature checks (on the shared pool: they are CPU).
final class BackgroundResult<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    private let done = DispatchSemaphore(value: 0)

    /// A result known already (work too small to hand over).
    init(value: Value) {
        self.value.withLock { $0 = value }
        done.signal()
    }

    /// Computes `work` on a new thread named `name` (otherwise it would carry the name of the
    /// thread that made it: a miner's, on Linux).
    init(threadNamed name: String, _ work: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in finish(work()) }
        thread.name = name
        thread.start()
    }

    /// Computes `work` on the global dispatch pool.
    init(onPool work: @escaping @Sendable () -> Value) {
        DispatchQueue.global().async { [self] in finish(work()) }
    }

    private func finish(_ result: Value) {
        value.withLock { $0 = result }
        done.signal()
    }

    /// Blocks until the value is there; may be called more than once.
    func wait() -> Value {
        if let known = value.withLock({ $0 }) { return known }
        done.wait()
        // Signal again, so a later wait returns too.
        done.signal()
        return value.withLock { $0! }
    }
}
