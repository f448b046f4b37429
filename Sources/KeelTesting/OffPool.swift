import Foundation

/// Runs blocking work (premining thousands of blocks, RocksDB-heavy setup) on its own thread,
/// so a test does not starve Swift's cooperative pool, which the in-process nodes under test
/// and every other parallel test need.
public enum OffPool {
    /// Runs `body` on a new thread and returns its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
