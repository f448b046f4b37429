import KeelCore

/// The node's progress line for operators, at info: every minute how the chain moves (height,
/// blocks since the last line, peers, mempool), and every 10 s while it syncs, how far, how fast
/// and how long yet. It replaces a line per committed block (ten a second on dev). A plain
/// value that takes the time, so tests drive it without waiting.
struct NodeProgress: Sendable {
    /// What the node looks like at one moment.
    struct Snapshot: Sendable {
        var height: UInt64
        var bestPeerHeight: UInt64
        var inbound: Int
        var outbound: Int
        var mempool: Int
    }

    /// Seconds between lines while in step, and while syncing.
    let interval: Double, syncInterval: Double
    /// Blocks a peer may be ahead while the node still counts as in step (as the alerts do).
    static let inStepLag: UInt64 = 6

    private var last: (time: Double, height: UInt64)
    /// When the next in-step line is due.
    private var due: Double
    private var sync: (meter: ProgressMeter, startedAt: Double, from: UInt64)?

    /// The first line comes `firstAfter` seconds after the start (someone who just started the
    /// node is watching), then one every `interval`.
    init(now: Double, height: UInt64, interval: Double = 60, syncInterval: Double = 10, firstAfter: Double = 10) {
        self.interval = interval
        self.syncInterval = syncInterval
        last = (now, height)
        due = now + firstAfter
    }

    /// The line to log now, if one is due.
    mutating func step(_ s: Snapshot, now: Double) -> String? {
        let peers = "peers \(s.inbound + s.outbound) (\(s.outbound) out)"
        if s.bestPeerHeight > s.height + NodeProgress.inStepLag {
            if sync == nil {
                sync = (ProgressMeter(interval: syncInterval, now: now, done: s.height), now, s.height)
                return "syncing from height \(ProgressMeter.grouped(s.height)) to \(ProgressMeter.grouped(s.bestPeerHeight)); \(peers)"
            }
            guard let report = sync!.meter.update(done: s.height, total: s.bestPeerHeight, now: now) else { return nil }
            last = (now, s.height)
            due = now + interval
            return "syncing: \(report.line(unit: "blocks")); \(peers)"
        }
        if let finished = sync {
            sync = nil
            last = (now, s.height)
            due = now + interval
            let blocks = s.height - min(s.height, finished.from)
            return
                "synced: height \(ProgressMeter.grouped(s.height)), \(ProgressMeter.grouped(blocks)) blocks in \(ProgressMeter.duration(now - finished.startedAt)); \(peers)"
        }
        guard now >= due else { return nil }
        let gained = s.height - min(s.height, last.height)
        let line =
            "height \(ProgressMeter.grouped(s.height)) (+\(ProgressMeter.grouped(gained)) in \(ProgressMeter.duration(now - last.time))), \(peers), mempool \(s.mempool) tx"
        last = (now, s.height)
        due = now + interval
        return line
    }
}
