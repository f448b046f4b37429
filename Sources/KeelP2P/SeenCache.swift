import KeelCore

/// A bounded set of recently seen hashes, oldest forgotten first: remembers which inventory a
/// node or a peer has already seen without growing with the chain.
public struct SeenCache: Sendable {
    /// Most hashes kept.
    public let capacity: Int
    private var members: Set<Hash256> = []
    private var order: [Hash256] = []
    private var head = 0

    /// An empty cache holding at most `capacity` hashes.
    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        members.reserveCapacity(min(self.capacity, 1024))
    }

    /// Number of hashes held.
    public var count: Int { members.count }

    /// Whether `hash` was seen (and not yet forgotten).
    public func contains(_ hash: Hash256) -> Bool { members.contains(hash) }

    /// Forgets `hash` (its slot in the eviction order stays until it comes round).
    public mutating func remove(_ hash: Hash256) { members.remove(hash) }

    /// Adds `hash`; returns false if it was already there.
    @discardableResult
    public mutating func insert(_ hash: Hash256) -> Bool {
        guard members.insert(hash).inserted else { return false }
        if order.count < capacity {
            order.append(hash)
        } else {
            members.remove(order[head])
            order[head] = hash
            head = (head + 1) % capacity
        }
        return true
    }
}
