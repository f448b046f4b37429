import Foundation
import Synchronization
import Testing

/// Runs each test of a suite on the blocking pool (one thread), off Swift's cooperative pool.
///
/// Swift Testing calls a synchronous test body on the cooperative pool, which has one thread
/// per core (two on CI). Suites that mine hundreds of blocks into RocksDB, with a sync write per
/// block, held both threads for 40 to 80 s, and every async test meanwhile (in-process nodes,
/// polls with deadlines) waited for a thread: on a slow disk the nodes of other suites missed
/// their deadline to listen before they had run at all. The blocking pool's threads are
/// scheduled by the kernel beside the cooperative pool's, and there is one of them: the heavy
/// suites run one test at a time on it and take at most one core, leaving the others to the
/// nodes under test, whose deadlines are tighter.
///
/// Put it on suites whose tests block (RocksDB, long loops). Async tests under it run their jobs
/// on the pool too, so it suits suites without concurrency of their own.
public struct OwnThread: SuiteTrait, TestTrait, TestScoping {
    /// Applies to every test of the suite and its nested suites.
    public var isRecursive: Bool { true }

    /// Runs the test with the blocking pool as its task executor.
    public func provideScope(
        for test: Test, testCase: Test.Case?,
        performing function: @Sendable () async throws -> Void
    ) async throws {
        // Suites get a scope too; only test cases need moving.
        guard testCase != nil else { return try await function() }
        try await withTaskExecutorPreference(BlockingPool.shared) { try await function() }
    }
}

extension Trait where Self == OwnThread {
    /// Each test on the blocking pool, off the cooperative pool (see `OwnThread`).
    public static var ownThread: Self { OwnThread() }
}

/// A task executor with a fixed number of threads of its own, taking jobs in order.
final class BlockingPool: TaskExecutor {
    /// One thread: blocking tests queue for it rather than compete with the nodes for cores.
    static let shared = BlockingPool(threads: 1)

    private let jobs = Mutex<[UnownedJob]>([])
    private let waiting = DispatchSemaphore(value: 0)

    init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [self] in
                while true {
                    waiting.wait()
                    let job = jobs.withLock { $0.removeFirst() }
                    job.runSynchronously(on: asUnownedTaskExecutor())
                }
            }
            thread.name = "keel.test.blocking.\(index)"
            thread.start()
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        waiting.signal()
    }
}
