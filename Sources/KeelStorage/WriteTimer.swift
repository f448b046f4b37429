import Synchronization

/// Where the time each store write takes is reported (the node records it as
/// `keel_storage_write_seconds{sync}`): the disk's latency as the chain sees it, the figure to
/// look at when blocks connect slowly. A slot, not a buffer: nothing is kept here.
public final class WriteTimer: Sendable {
    /// The sink in a class of its own: a bare closure in a `Mutex` is wrapped in two more
    /// reabstraction thunks by every `withLock { $0 }` that reads it (swiftlang/swift#91348, at
    /// -O too in Swift 6.3), so each write called through one more layer than the last: a sync of
    /// 10,000 blocks spent most of its time there, and the layers were a heap leak.
    private final class Sink: Sendable {
        let report: @Sendable (_ seconds: Double, _ sync: Bool) -> Void
        init(_ report: @escaping @Sendable (_ seconds: Double, _ sync: Bool) -> Void) { self.report = report }
    }
    private let sink = Mutex<Sink?>(nil)

    /// Creates a timer that reports nowhere until `report(to:)`.
    public init() {}

    /// Sends every later write's duration and whether it was fsynced to `sink`.
    public func report(to sink: @escaping @Sendable (_ seconds: Double, _ sync: Bool) -> Void) {
        let box = Sink(sink)
        self.sink.withLock { $0 = box }
    }

    /// One write took `seconds`.
    func record(_ seconds: Double, sync: Bool) {
        sink.withLock { $0 }?.report(seconds, sync)
    }
}
