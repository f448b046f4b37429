import CKeelSupport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A POSIX thread that can be joined, so "stopped" means the OS thread has exited (the
/// 1,000-cycle test counts threads after every stop).
final class WorkerThread: Sendable {
    private final class Body: Sendable {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    // `pthread_t` is a plain integer handle on Linux; it is written once here and read once by
    // `join()` under the mutex, which also makes a second join a no-op.
    private let handle: Mutex<pthread_t?>

    /// Starts a thread named `name` running `body`. The name (at most 15 bytes on Linux) shows in
    /// `/proc/<pid>/task/*/comm`, `top -H` and gdb, so an operator can tell miners from the rest.
    init(name: String, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { raw in
                let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
                _ = keel_set_thread_name(body.name)
                body.run()
                return nil
            }, context)
        precondition(result == 0, "pthread_create failed: \(result)")
        handle = Mutex(thread)
    }

    /// Waits for the thread to exit. Safe to call more than once.
    func join() {
        handle.withLock { handle in
            guard let thread = handle else { return }
            pthread_join(thread, nil)
            handle = nil
        }
    }
}
