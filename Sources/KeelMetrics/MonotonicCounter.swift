import Prometheus
import Synchronization

/// A counter fed from a running total kept elsewhere (a miner's hash count): each update adds
/// what the total grew by since the last one.
public final class MonotonicCounter: Sendable {
    private let counter: Counter
    private let last = Mutex<UInt64>(0)

    /// Feeds `counter`, which nothing else should increment.
    public init(_ counter: Counter) { self.counter = counter }

    /// Advances the counter to `total`.
    public func update(total: UInt64) {
        let delta = last.withLock { last -> UInt64 in
            defer { last = max(last, total) }
            return total > last ? total - last : 0
        }
        if delta > 0 { counter.increment(by: Int64(truncatingIfNeeded: delta)) }
    }
}
