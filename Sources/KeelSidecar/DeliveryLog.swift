import Synchronization

/// The last webhook delivery attempts, newest first, for the status page. Bounded; it holds
/// receiver names and outcomes only, never a receiver's URL or secret.
public final class DeliveryLog: Sendable {
    /// One attempt.
    public struct Entry: Sendable, Equatable {
        /// Unix seconds.
        public var time: Double
        /// The receiver's configured name.
        public var receiver: String
        /// The alert's name.
        public var alertname: String
        /// `firing` or `resolved`.
        public var status: String
        /// `delivered`, `retried` or `failed`.
        public var outcome: String
        /// The HTTP status or transport error, when not delivered.
        public var detail: String?

        /// An entry as the dispatcher records it.
        public init(time: Double, receiver: String, alertname: String, status: String, outcome: String, detail: String? = nil) {
            self.time = time
            self.receiver = receiver
            self.alertname = alertname
            self.status = status
            self.outcome = outcome
            self.detail = detail
        }
    }

    /// Entries kept.
    public let capacity: Int
    private let entries = Mutex<[Entry]>([])

    /// A log keeping the last `capacity` attempts.
    public init(capacity: Int = 20) { self.capacity = max(1, capacity) }

    /// Records one attempt.
    public func record(_ entry: Entry) {
        entries.withLock {
            $0.insert(entry, at: 0)
            if $0.count > capacity { $0.removeLast($0.count - capacity) }
        }
    }

    /// The attempts kept, newest first.
    public var recent: [Entry] { entries.withLock { $0 } }
}
