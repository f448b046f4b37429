import Synchronization

/// Where the time each store write takes is reported (the node records it as
/// `keel_storage_write_seconds{sync}`): the disk's latency as the chain sees it, the figure to
/// look at when blocks connect slowly. A slot, not a buffer: nothing is kept here.
public final class WriteTimer: Sendable {
    private let sink = Mutex<(@Sendable (_ seconds: Double, _ sync: Bool) -> Void)?>(nil)

    /// Creates a timer that reports nowhere until `report(to:)`.
    public init() {}

    /// Sends every later write's duration and whether it was fsynced to `sink`.
    public func report(to sink: @escaping @Sendable (_ seconds: Double, _ sync: Bool) -> Void) {
        self.sink.withLock { $0 = sink }
    }

    /// One write took `seconds`.
    func record(_ seconds: Double, sync: Bool) {
        sink.withLock { $0 }?(seconds, sync)
    }
}
