import Synchronization

/// Whether the store takes writes. A write RocksDB refused (disk full, I/O error, read-only file
/// system) closes the gate; so does the node itself, before the disk is full. While it is closed
/// every write through `ChainStore.write` fails at once with the reason, without reaching
/// RocksDB, so nothing half-applies and the error is reported once, not once per block.
/// `reopen()` (after a probe write succeeded) lets writes through again.
public final class WriteGate: Sendable {
    /// Why writes are paused.
    public struct Pause: Sendable, Equatable {
        /// `noSpace` for a full (or nearly full) disk, `io` for anything else.
        public let code: StorageError.Code
        /// What happened, for `/ready`, the log and the alert.
        public let reason: String
        /// Whether the node paused writes itself (low free space) rather than RocksDB refusing one.
        public let preemptive: Bool

        /// A pause.
        public init(code: StorageError.Code, reason: String, preemptive: Bool) {
            self.code = code
            self.reason = reason
            self.preemptive = preemptive
        }
    }

    private struct State {
        var pause: Pause?
        var failures = 0
        var failAfter: Int?
    }

    private let state = Mutex(State())

    /// An open gate.
    public init() {}

    /// Why writes are paused, or nil.
    public var pause: Pause? { state.withLock { $0.pause } }

    /// Writes RocksDB refused since start.
    public var failures: Int { state.withLock { $0.failures } }

    /// Throws the pause's error if writes are paused.
    func check() throws {
        let pause: Pause? = state.withLock { s in
            if let left = s.failAfter {
                if left == 0 {
                    s.failAfter = nil
                    s.pause = Pause(code: .io, reason: "an injected write failure (test)", preemptive: false)
                    s.failures += 1
                } else {
                    s.failAfter = left - 1
                }
            }
            return s.pause
        }
        if let pause { throw StorageError(pause.code, "writes are paused: \(pause.reason)") }
    }

    /// Records a write RocksDB refused; the first one closes the gate.
    func record(_ error: StorageError) {
        state.withLock { s in
            s.failures += 1
            if s.pause == nil {
                let cause = error.cause.map { " (\($0))" } ?? ""
                let reason =
                    error.code == .noSpace
                    ? "the disk holding the data directory is full\(cause)"
                    : "RocksDB refused a write\(cause)"
                s.pause = Pause(code: error.code == .noSpace ? .noSpace : .io, reason: reason, preemptive: false)
            }
        }
    }

    /// Closes the gate before RocksDB has to refuse anything (the disk is nearly full).
    public func pauseForSpace(_ reason: String) {
        state.withLock { s in
            if s.pause == nil { s.pause = Pause(code: .noSpace, reason: reason, preemptive: true) }
        }
    }

    /// Opens the gate again.
    public func reopen() { state.withLock { $0.pause = nil } }

    /// Test only: the write after the next `count` ones fails as an I/O error would.
    public func failAfter(_ count: Int) { state.withLock { $0.failAfter = count } }
}
