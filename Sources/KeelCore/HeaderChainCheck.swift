/// Checks a run of headers against the chain rules without their blocks: each header must link
/// to the one before, carry the target the rules give for its parent (not one it declares for
/// itself), meet it, and keep timestamps inside their window. It also sums the run's work.
///
/// It holds the timestamps the rules look back at (the last 11 for the median time past, and one
/// retarget interval for the next difficulty), so a header sync can go on batch after batch in
/// constant memory while none of the blocks is stored yet.
public struct HeaderChainCheck: Sendable {
    /// The network whose rules apply.
    public let network: Network
    /// The last header accepted (the parent of the next one).
    public private(set) var tip: ParentContext
    /// Cumulative work of the chain up to and including `tip`.
    public private(set) var work: UInt256
    /// Timestamps by height, oldest first, ending at `tip`'s.
    private var timestamps: [UInt64]
    private var firstHeight: UInt64

    /// How many timestamps before the parent the rules need.
    public static func lookBack(_ network: Network) -> Int { Int(max(11, network.retargetInterval + 1)) }

    /// A check that continues from `parent`. `ancestorTimestamps` are the timestamps of the
    /// parent's ancestors, oldest first, ending with the parent's own (at most `lookBack` kept).
    public init(network: Network, parent: ParentContext, ancestorTimestamps: [UInt64], work: UInt256) {
        self.network = network
        tip = parent
        self.work = work
        let kept = Array(ancestorTimestamps.suffix(min(HeaderChainCheck.lookBack(network), Int(clamping: parent.height) + 1)))
        timestamps = kept.isEmpty ? [parent.timestamp] : kept
        firstHeight = parent.height + 1 - UInt64(timestamps.count)
    }

    /// Accepts `header` as the next in the run and returns its hash, or throws the rule it
    /// breaks (and stays as it was).
    @discardableResult
    public mutating func append(_ header: BlockHeader, now: UInt64) throws(ConsensusError) -> Hash256 {
        let hash = header.hash
        try ConsensusRules.checkHeader(header, hash: hash, parent: tip, network: network, now: now)
        timestamps.append(header.timestamp)
        let limit = HeaderChainCheck.lookBack(network)
        if timestamps.count > 2 * limit {
            timestamps.removeFirst(timestamps.count - limit)
            firstHeight = header.height + 1 - UInt64(timestamps.count)
        }
        work = work + header.target.work
        tip = context(after: header, hash: hash)
        return hash
    }

    private func timestamp(atHeight height: UInt64) -> UInt64? {
        guard height >= firstHeight, height - firstHeight < UInt64(timestamps.count) else { return nil }
        return timestamps[Int(height - firstHeight)]
    }

    /// The context a child of `header` is checked against (the same one the chain state builds
    /// from stored headers).
    private func context(after header: BlockHeader, hash: Hash256) -> ParentContext {
        let recent = Array(timestamps.suffix(11))
        var intervalStart: (UInt64, UInt64)?
        if (header.height + 1) % network.retargetInterval == 0 {
            let startHeight = header.height >= network.retargetInterval ? header.height - network.retargetInterval : 0
            if let stamp = timestamp(atHeight: startHeight) { intervalStart = (stamp, startHeight) }
        }
        return ParentContext(
            hash: hash, height: header.height, timestamp: header.timestamp, target: header.target,
            medianTimePast: ParentContext.median(recent),
            intervalStartTimestamp: intervalStart?.0, intervalStartHeight: intervalStart?.1)
    }
}
