import Synchronization

/// A queue from producers to one consumer task that takes everything waiting at once. A
/// session's frames go through two: what the peer sent, to the task that handles it on a
/// worker thread, and what we send, to the task that writes it to the socket. Taken one by one
/// (an `AsyncStream`, a hop to a worker per frame), a sync of 10,000 small blocks cost two
/// thread switches a block; taken together, one hop serves what arrived meanwhile.
///
/// `put` never waits (a peer's outbox is bounded in bytes by `Peer.send`); `putWaiting` waits
/// while the items queued weigh `capacity` or more, so a reader stops reading a peer whose
/// frames are not handled as fast as they come. `putWaiting` has one caller at a time (the
/// session's reader).
final class Mailbox<Element: Sendable>: Sendable {
    private struct State: Sendable {
        var items: [Element] = []
        var weight = 0
        var consumer: CheckedContinuation<[Element]?, Never>?
        var producer: CheckedContinuation<Void, Never>?
        var finished = false
    }

    private let state = Mutex(State())
    /// The weight queued at which `putWaiting` waits.
    let capacity: Int
    private let weigh: @Sendable (Element) -> Int

    /// A mailbox whose waiting producer stops once the items queued weigh `capacity` (each
    /// weighs one unless `weigh` says otherwise).
    init(capacity: Int = .max, weigh: @escaping @Sendable (Element) -> Int = { _ in 1 }) {
        self.capacity = max(1, capacity)
        self.weigh = weigh
    }

    /// Adds `item` without waiting; false once the mailbox is finished.
    @discardableResult
    func put(_ item: Element) -> Bool {
        let weight = weigh(item)
        let (added, consumer) = state.withLock { s -> (Bool, CheckedContinuation<[Element]?, Never>?) in
            guard !s.finished else { return (false, nil) }
            s.items.append(item)
            s.weight += weight
            guard let consumer = s.consumer else { return (true, nil) }
            s.consumer = nil
            return (true, consumer)
        }
        consumer?.resume(returning: take())
        return added
    }

    /// Adds `item`, then waits while `capacity` items are queued; false once finished.
    func putWaiting(_ item: Element) async -> Bool {
        guard put(item) else { return false }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let wait = state.withLock { s -> Bool in
                    guard s.weight >= capacity, !s.finished, !Task.isCancelled else { return false }
                    s.producer = continuation
                    return true
                }
                if !wait { continuation.resume() }
            }
        } onCancel: {
            finish()
        }
        return !isFinished
    }

    /// Everything queued, waiting until there is something; nil once finished and empty (or
    /// when the waiting task is cancelled).
    func takeAll() async -> [Element]? {
        if let ready = take() { return ready }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<[Element]?, Never>) in
                let now = state.withLock { s -> TakeNow in
                    if !s.items.isEmpty { return .items }
                    if s.finished || Task.isCancelled { return .done }
                    s.consumer = continuation
                    return .wait
                }
                switch now {
                case .items: continuation.resume(returning: take())
                case .done: continuation.resume(returning: nil)
                case .wait: break
                }
            }
        } onCancel: {
            finish()
        }
    }

    /// Ends the mailbox: later puts are refused, a waiting consumer gets what is left (then
    /// nil), a waiting producer goes on.
    func finish() {
        let (consumer, producer) = state.withLock { s -> (CheckedContinuation<[Element]?, Never>?, CheckedContinuation<Void, Never>?) in
            s.finished = true
            defer { (s.consumer, s.producer) = (nil, nil) }
            return (s.consumer, s.producer)
        }
        producer?.resume()
        consumer?.resume(returning: take())
    }

    /// What `takeAll` found under the lock.
    private enum TakeNow { case items, done, wait }

    /// Whether `finish()` was called.
    var isFinished: Bool { state.withLock { $0.finished } }

    /// Whether a producer waits for room (for tests).
    var hasWaitingProducer: Bool { state.withLock { $0.producer != nil } }

    /// Takes everything queued (nil if nothing is) and lets a waiting producer go on.
    private func take() -> [Element]? {
        let (items, producer) = state.withLock { s -> ([Element], CheckedContinuation<Void, Never>?) in
            let items = s.items
            s.items = []
            s.weight = 0
            defer { s.producer = nil }
            return (items, s.producer)
        }
        producer?.resume()
        return items.isEmpty ? nil : items
    }
}
