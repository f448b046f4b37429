#if canImport(Glibc)
    import Glibc
#endif

/// A reader-writer lock over RocksDB's C handles. Every call into RocksDB holds it shared for the
/// whole call (a scan for the whole scan), and `close()` holds it exclusively, so a handle is never
/// freed while another thread is inside RocksDB with it.
///
/// glibc's default rwlock prefers readers, so a read taken inside a scan's callback (a nested
/// shared lock) cannot deadlock behind a waiting `close()`.
final class HandleLock: @unchecked Sendable {
    // `@unchecked Sendable`: the pthread rwlock is the synchronisation itself; the pointer is
    // allocated once in init and freed once in deinit, when no thread can hold a reference.
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        pthread_rwlock_init(lock, nil)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// Runs `body` holding the lock shared.
    func reading<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    /// Runs `body` holding the lock exclusively.
    func writing<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
