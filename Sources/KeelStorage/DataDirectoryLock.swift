import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock on a data directory, held for as long as the node has it open.
///
/// `flock` on `DATA_DIR/keel.lock` is released by the kernel when the process dies (SIGKILL
/// included), so a crash never leaves a stale lock; the file holds the owner's pid so the
/// error can say who has it instead of RocksDB's raw "LOCK: Resource temporarily unavailable".
public final class DataDirectoryLock: Sendable {
    /// The lock file.
    public let path: String
    private let fd: Mutex<Int32>

    /// Takes the lock or throws `locked` naming the pid that holds it.
    public init(directory: String) throws {
        path = directory + "/keel.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw StorageError(.open, "cannot create the lock file \(path)", cause: SystemError(call: "open", errno: errno))
        }
        if !Self.take(fd) {
            let code = errno
            let pid = Self.holder(fd) ?? "unknown"
            Glibc.close(fd)
            throw StorageError(
                .locked,
                "Keel is already running on \(directory) (pid \(pid)); stop it first or choose another --data-dir",
                cause: SystemError(call: "flock", errno: code))
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        fsync(fd)
        self.fd = Mutex(fd)
    }

    /// Takes the flock, waiting up to 250 ms only while the file names this process: a child
    /// being spawned by another thread holds a copy of every descriptor from its vfork until its
    /// exec closes them, so a directory this process just closed can still read as held for
    /// that moment (seen in the test runner, which opens stores while it spawns nodes). A
    /// holder that is another process is reported at once.
    private static func take(_ fd: Int32) -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(250))
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK, holder(fd) == "\(getpid())", ContinuousClock.now < deadline else {
                errno = code
                return false
            }
            usleep(5_000)
        }
        return true
    }

    /// The pid the lock file names, if any.
    private static func holder(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count, 0)
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters() : nil
    }

    /// Releases the lock (closing the descriptor drops the flock). Safe to call twice.
    public func release() {
        fd.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    deinit { release() }
}

extension String {
    func trimmingCharacters() -> String { String(filter { !$0.isWhitespace }) }
}
