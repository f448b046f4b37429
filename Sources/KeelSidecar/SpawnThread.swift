import CKeelSupport
import Foundation
import Synchronization

/// The one thread that forks supervised processes. A child's parent-death signal
/// (`PR_SET_PDEATHSIG`) fires when the *thread* that forked it exits, not the process, and
/// Swift's pool threads exit when idle: a node forked from one was SIGKILLed within seconds of
/// the pool shrinking. This thread lives as long as the process, so the signal means what it
/// should: the sidecar is gone.
final class SpawnThread: Sendable {
    /// The process's spawner; its thread starts on first use.
    static let shared: SpawnThread = {
        let spawner = SpawnThread()
        // Named from inside: Foundation's Thread.name does not reach the OS thread on Linux.
        Thread {
            _ = keel_set_thread_name("keel-spawner")
            spawner.serve()
        }.start()
        return spawner
    }()

    private let jobs = Mutex<[@Sendable () -> Void]>([])
    private let pending = DispatchSemaphore(value: 0)

    private init() {}

    private func serve() {
        while true {
            pending.wait()
            if let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { job() }
        }
    }

    /// Runs `body` on the spawner thread and returns its result. The caller blocks for as long
    /// as `body` runs: a fork and exec hand-off, well under a millisecond.
    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<T?>(nil)
        jobs.withLock {
            $0.append {
                let value = body()
                result.withLock { $0 = value }
                done.signal()
            }
        }
        pending.signal()
        done.wait()
        return result.withLock { $0! }
    }
}
