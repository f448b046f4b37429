import Synchronization

/// A value behind a lock of its own, held only to copy it: how readers that must not wait for
/// a batch to validate under the chain's lock (the P2P layer for every block it receives, the
/// API's status) see state that changes under it.
final class Published<Value: Sendable>: Sendable {
    private let current: Mutex<Value>

    init(_ value: Value) { current = Mutex(value) }

    /// The value as last set.
    var value: Value { current.withLock { $0 } }

    func set(_ value: Value) { current.withLock { $0 = value } }
}
