import KeelCore

/// One peer's headers-first sync: its headers are checked against the chain rules batch after
/// batch (the target the rules give, not the one a header declares), and their blocks are
/// fetched only once the branch shows enough work to matter.
///
/// A branch whose work is still below the threshold after a full batch is followed without
/// storing or queueing anything ("presync", as Bitcoin Core's `HeadersSyncState`): only the
/// last hash of each batch is kept. When the branch passes the threshold the headers are asked
/// for again from the fork ("redownload") and each batch must end on the hash kept for it,
/// so what is fetched is the chain whose work was seen. Bitcoin Core keeps one salted bit per
/// 600 headers; Keel keeps a 32-byte hash per 2,000, bounded by `maxCommitments` (320 KB).
struct HeaderSync: Sendable {
    /// The check of the branch being followed, at its last accepted header.
    private(set) var check: HeaderChainCheck?
    /// Presync: the last hash of each full low-work batch so far.
    private(set) var commitments: [Hash256] = []
    /// Redownload: batches to match, the next one's index, and the work seen in presync.
    private(set) var redownload: (commitments: [Hash256], next: Int, work: UInt256)?
    /// When we last asked this peer for headers because its own did not connect (ms).
    var lastUnconnectedAsk: UInt64 = 0
    /// An ask that came within the second: made when the second is up (the peer's timer), so
    /// the last announcement of a burst is not dropped with nothing to follow it.
    var unconnectedAskPending = false
    /// Where to ask for the next batch once the peer's download queue has room.
    var resumeFrom: Hash256?

    /// Most batches followed in presync (20 million headers).
    static let maxCommitments = 10_000

    /// What to do with a headers message.
    enum Outcome: Sendable {
        /// Fetch these blocks; `more` when the batch was full (ask for the next).
        case fetch([BlockDownloader.Item], more: Bool)
        /// The first header's parent is unknown: ask again with our locator.
        case unconnected
        /// A header breaks a rule: the peer lied.
        case invalid(ConsensusError)
        /// A header is ahead of our clock: stop here, without blaming the peer.
        case fromTheFuture
        /// A complete branch with too little work: ignored.
        case lowWork
        /// A full low-work batch: ask for the next after `last`, queue nothing.
        case presync(last: Hash256)
        /// The branch passed the threshold in presync: ask again from our locator.
        case redownload
        /// A redownloaded batch differs from the one seen: start over.
        case mismatch
    }

    /// Processes one headers message. `checkFrom` gives a check continuing from a stored block;
    /// `threshold` is the chain's anti-DoS work threshold; `full` whether the batch was full.
    mutating func process(
        _ headers: [BlockHeader], full: Bool, threshold: UInt256, now: UInt64,
        checkFrom: (Hash256) -> HeaderChainCheck?
    ) -> Outcome {
        guard let first = headers.first else { return .fetch([], more: false) }
        var current: HeaderChainCheck
        let continued = check?.tip.hash == first.previousHash
        if continued, let check {
            current = check
        } else if let fresh = checkFrom(first.previousHash) {
            current = fresh
        } else {
            // Headers that connect to nothing cost us one lookup; not a penalty (a peer relays
            // its new blocks while we are still behind it).
            return .unconnected
        }
        var items = [BlockDownloader.Item]()
        items.reserveCapacity(headers.count)
        for header in headers {
            do {
                let hash = try current.append(header, now: now)
                items.append(BlockDownloader.Item(hash: hash, height: header.height, claimedWork: .zero))
            } catch {
                check = nil
                return error.code == .timestampTooNew ? .fromTheFuture : .invalid(error)
            }
        }
        // A block announced at our tip must not end a sync followed further ahead: fetched if
        // its own branch has the work, without replacing the check.
        guard continued || check == nil || current.work >= check!.work || redownload != nil else {
            guard current.work >= threshold else { return .lowWork }
            let work = current.work
            return .fetch(items.map { BlockDownloader.Item(hash: $0.hash, height: $0.height, claimedWork: work) }, more: false)
        }
        if !continued, redownload == nil { commitments = [] }
        check = current
        let lastHash = items[items.count - 1].hash
        if var pass = redownload {
            guard pass.next < pass.commitments.count, pass.commitments[pass.next] == lastHash else {
                reset()
                return .mismatch
            }
            pass.next += 1
            redownload = pass.next == pass.commitments.count ? nil : pass
            let work = max(pass.work, current.work)
            return .fetch(items.map { BlockDownloader.Item(hash: $0.hash, height: $0.height, claimedWork: work) }, more: full)
        }
        if current.work >= threshold {
            guard commitments.isEmpty else {
                redownload = (commitments + [lastHash], 0, current.work)
                commitments = []
                check = nil
                return .redownload
            }
            let work = current.work
            return .fetch(items.map { BlockDownloader.Item(hash: $0.hash, height: $0.height, claimedWork: work) }, more: full)
        }
        guard full, commitments.count < HeaderSync.maxCommitments else {
            reset()
            return .lowWork
        }
        commitments.append(lastHash)
        return .presync(last: lastHash)
    }

    /// Forgets the branch being followed.
    mutating func reset() {
        check = nil
        commitments = []
        redownload = nil
        resumeFrom = nil
    }
}
