import CKeelSupport
import Foundation
import Synchronization

/// The one thread that forks child processes, for the sidecar's node and the test harness's
/// processes alike. A child's parent-death signal (`PR_SET_PDEATHSIG`) fires when the *thread*
/// that forked it exits, not the process, and Swift's pool threads exit when idle: a node forked
/// from one was SIGKILLed within seconds of the pool shrinking. This thread lives as long as the
/// process, so the signal means what it should: the parent is gone.
public final class Spawner: Sendable {
    /// The process's spawner; its thread starts on first use.
    public static let shared: Spawner = {
        let spawner = Spawner()
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

    /// Starts `command` (an absolute path) through `keel_spawn` on the spawner thread: its own
    /// process group, stdin from /dev/null, stdout and stderr on the given descriptors, SIGKILLed
    /// by the kernel when this process dies. Returns the pid, or -1 and the errno of the fork.
    /// An exec failure shows as four bytes (its errno) on `statusFD`, which closes on success.
    public func spawn(
        _ command: String, _ arguments: [String], environment: [String: String], stdout: Int32, stderr: Int32, status: Int32
    ) -> (pid: pid_t, errno: Int32) {
        run { () -> (pid_t, Int32) in
            let argv = ([command] + arguments).map { strdup($0) } + [nil]
            let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer {
                for p in argv { free(p) }
                for p in envp { free(p) }
            }
            let pid = keel_spawn(command, argv, envp, stdout, stderr, status)
            return (pid, errno)
        }
    }

    /// Runs `body` on the spawner thread and returns its result. The caller blocks for as long
    /// as `body` runs: a fork and exec hand-off, well under a millisecond.
    private func run<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
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
