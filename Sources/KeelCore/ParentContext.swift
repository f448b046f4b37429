/// What the header rules need to know about the chain a new block extends.
public struct ParentContext: Sendable {
    /// The parent's hash.
    public let hash: Hash256
    /// The parent's height.
    public let height: UInt64
    /// The parent's timestamp (ms).
    public let timestamp: UInt64
    /// The parent's target.
    public let target: CompactTarget
    /// Median timestamp of the last 11 blocks ending at the parent.
    public let medianTimePast: UInt64
    /// Timestamp of the first block of the interval that ends at the parent, when the child
    /// starts a new retarget interval; nil otherwise.
    public let intervalStartTimestamp: UInt64?
    /// Height of that first block (the span measured is `height - intervalStartHeight` gaps).
    public let intervalStartHeight: UInt64?

    /// Memberwise; the interval start is set only when the next block is a retarget block.
    public init(
        hash: Hash256, height: UInt64, timestamp: UInt64, target: CompactTarget,
        medianTimePast: UInt64, intervalStartTimestamp: UInt64?, intervalStartHeight: UInt64?
    ) {
        self.hash = hash
        self.height = height
        self.timestamp = timestamp
        self.target = target
        self.medianTimePast = medianTimePast
        self.intervalStartTimestamp = intervalStartTimestamp
        self.intervalStartHeight = intervalStartHeight
    }

    /// The target the child must carry: the parent's, except at an interval boundary where it
    /// moves by the ratio of actual to intended time (clamped to a factor of 4, capped at the
    /// network's limit).
    public func nextTarget(network: Network) -> CompactTarget {
        guard let start = intervalStartTimestamp, let startHeight = intervalStartHeight, height > startHeight,
            let current = target.target, let limit = network.powLimit.target
        else {
            return target
        }
        let expected = network.targetSpacing * (height - startHeight)
        let actual = min(max(timestamp &- start, expected / 4), expected * 4)
        if actual == expected { return target }
        // Multiply first for precision; near the limit that overflows, so divide first there.
        var (next, overflow) = current.multipliedReportingOverflow(by: actual)
        if overflow {
            (next, overflow) = current.divided(by: expected).multipliedReportingOverflow(by: actual)
            if overflow { return network.powLimit }
        } else {
            next = next.divided(by: expected)
        }
        return next > limit ? network.powLimit : CompactTarget(target: next)
    }

    /// The median of up to 11 timestamps.
    public static func median(_ timestamps: [UInt64]) -> UInt64 {
        guard !timestamps.isEmpty else { return 0 }
        return timestamps.sorted()[timestamps.count / 2]
    }
}
