/// Changes to apply atomically with `RocksDatabase.write`.
public struct WriteBatch: Sendable {
    enum Kind: Sendable {
        case put([UInt8])
        case delete
        case deleteRange(end: [UInt8])
    }

    struct Operation: Sendable {
        let family: ColumnFamily
        let key: [UInt8]
        let kind: Kind
    }

    private(set) var operations: [Operation] = []

    /// An empty batch.
    public init() {}

    /// Whether the batch has no changes.
    public var isEmpty: Bool { operations.isEmpty }

    /// How many changes the batch holds: a mark `truncate(to:)` can return to.
    public var count: Int { operations.count }

    /// Drops every change made after the batch held `count` of them.
    public mutating func truncate(to count: Int) {
        operations.removeSubrange(min(count, operations.count)...)
    }

    /// Sets a raw value.
    public mutating func put(_ family: ColumnFamily, _ key: [UInt8], _ value: [UInt8]) {
        operations.append(Operation(family: family, key: key, kind: .put(value)))
    }

    /// Removes a key.
    public mutating func delete(_ family: ColumnFamily, _ key: [UInt8]) {
        operations.append(Operation(family: family, key: key, kind: .delete))
    }

    /// Removes every key in a column family (keys are at most 64 bytes long).
    public mutating func clear(_ family: ColumnFamily) {
        operations.append(Operation(family: family, key: [], kind: .deleteRange(end: [UInt8](repeating: 0xff, count: 65))))
    }
}
