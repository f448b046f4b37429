import Foundation

/// The one way Keel runs blocking work (a RocksDB reindex or checkpoint, a libcurl call, a test's
/// premine of thousands of blocks) from async code: on a thread of its own, so it never holds one
/// of the cooperative pool's few threads (two on the machines Keel targets) that the event loops'
/// callers, the API and every other task need. A thread per call costs tens of microseconds,
/// nothing beside work that blocks for milliseconds or more. (The P2P layer's frame workers are a
/// bounded `NIOThreadPool` instead: they run per message, not once per call.)
public enum Blocking {
    /// Runs `body` on a new thread and returns what it returns or throws.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            start { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Runs `body`, which cannot fail, on a new thread.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            start { continuation.resume(returning: body()) }
        }
    }

    /// A named thread: unnamed, it would carry the name of the thread that made it (on Linux a
    /// new thread inherits its creator's), and a miner's name on other work misleads.
    private static func start(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = "keel-blocking"
        thread.start()
    }
}
