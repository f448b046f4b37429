import KeelCore

/// Which blocks to fetch from which peer, and what is on the way: per-peer download queues,
/// blocks in flight with their deadlines, and stall detection. A plain state machine: callers
/// pass the monotonic time in milliseconds, so tests drive it without sleeping.
///
/// Everything a peer causes here is bounded and charged to it: its queue (`Limits.queuePerPeer`,
/// with `Limits.queueTotal` over all peers), its requests in flight (`Limits.window`), and its
/// slowness (a staller is named for disconnection and its blocks go to other peers).
///
/// Where Keel differs from Bitcoin Core (`MAX_BLOCKS_IN_TRANSIT_PER_PEER` 16,
/// `BLOCK_STALLING_TIMEOUT` 2 s doubling to 64 s, a 1,024-block window over one header tree):
/// Keel has no header tree, so each peer has its own queue of the blocks its checked headers
/// named. A peer's window is counted in bytes as well as blocks: as many requests as 16 MiB
/// holds at the average size of the blocks delivered so far, from 8 to 1,024, so large blocks cost
/// no more memory in flight than Core's 16, and small ones fill a link with 100 ms of round trip
/// (32 held a sync from three such peers to a third of its speed). The ceiling is `aheadOfTip`
/// (twice Core's 1,024) above the last block handed to the importer, not above the tip, so the
/// download runs on while a batch validates. The stall timeout starts at 5 s because shared
/// two-core test machines pause for seconds.
struct BlockDownloader: Sendable {
    /// A block to fetch: its hash, height, and the work its checked headers proved for a chain
    /// through it (the chain stores it only if that work is near the tip's).
    struct Item: Sendable, Equatable {
        var hash: Hash256
        var height: UInt64
        var claimedWork: UInt256
    }

    /// The bounds.
    struct Limits: Sendable {
        /// Bytes of blocks in flight to one peer (at the average size delivered so far).
        var windowBytes = 16 << 20
        /// Fewest and most requests in flight to one peer, whatever the blocks' size.
        var windowMin = 8
        var windowMax = 1_024
        /// Blocks more than this far above the last block handed to the importer are not asked
        /// for yet: what arrives ahead of its parent waits in memory (`OrphanPool`), so this
        /// bounds it, and a peer holding the next blocks back blocks everyone, which is how a
        /// staller is found (Bitcoin Core's `BLOCK_DOWNLOAD_WINDOW`, 1,024 over a header tree;
        /// 256 held a sync from peers 100 ms away to 2,500 blocks a second, and 1,024 with
        /// `windowMax` 256 to about 8,700 a second once under way, 2,048 with 1,024 to 10,500).
        var aheadOfTip: UInt64 = 2_048
        /// Blocks queued for one peer (two header batches).
        var queuePerPeer = 4_096
        /// Blocks queued over all peers (about 2.4 MB of items).
        var queueTotal = 32_768
        /// A peer with requests this old and nothing delivered, while another peer delivered
        /// since, is a staller. Doubled after each staller (to `stallMax`), eased back per block delivered.
        var stallBase: UInt64 = 5_000
        var stallMax: UInt64 = 64_000
        /// A request unanswered this long is given up (its slot returned, the block asked of
        /// another peer), even with no other peer to compare with.
        var requestTimeout: UInt64 = 60_000
    }

    struct Flight: Sendable {
        var peer: UInt64
        var at: UInt64
        var item: Item
    }

    struct PeerQueue: Sendable {
        var items: [Item] = []
        var head = 0
        var queued: Set<Hash256> = []
        var inFlight = 0
        /// Last block delivered, or when its first request went out after an idle spell.
        var lastProgress: UInt64
        /// Last block delivered.
        var lastDelivery: UInt64?
        var bestHeight: UInt64 = 0

        var count: Int { items.count - head }

        mutating func popFront(_ n: Int) -> [Item] {
            let end = min(items.count, head + n)
            let taken = Array(items[head..<end])
            head = end
            for item in taken { queued.remove(item.hash) }
            if head > 1_024, head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return taken
        }
    }

    /// Why a block was not queued.
    enum Refusal: String, CaseIterable, Sendable {
        case peerQueueFull = "peer_queue_full"
        case queueFull = "queue_full"
    }

    let limits: Limits
    private(set) var peers: [UInt64: PeerQueue] = [:]
    private(set) var inFlight: [Hash256: Flight] = [:]
    private(set) var queuedTotal = 0
    private(set) var stallTimeout: UInt64
    /// Blocks that arrived ahead of their parent with no room to hold them: asked for again
    /// once the tip moves (at most `aheadOfTip` of them matter at a time).
    private(set) var parked: [Item] = []
    /// Bytes, a moving average of the blocks delivered (see `window`).
    private(set) var averageBlockSize: Int

    init(limits: Limits = Limits()) {
        self.limits = limits
        stallTimeout = limits.stallBase
        averageBlockSize = limits.windowBytes / 32
    }

    /// Blocks queued for `peer`.
    func queued(_ peer: UInt64) -> Int { peers[peer]?.count ?? 0 }

    /// Requests in flight to `peer`.
    func inFlight(to peer: UInt64) -> Int { peers[peer]?.inFlight ?? 0 }

    /// Whether `peer`'s queue has room for another header batch's blocks.
    func wantsMoreHeaders(from peer: UInt64) -> Bool { queued(peer) <= limits.queuePerPeer / 2 }

    /// The height of the highest block queued or in flight (0: none): blocks whose headers we
    /// checked and are still fetching, so how far we are from the tip we are syncing to. Peers'
    /// claimed heights do not count: a peer cannot make us look behind by saying so.
    var highestWanted: UInt64 {
        let queued = peers.values.lazy.compactMap { $0.count > 0 ? $0.items[$0.items.count - 1].height : nil }.max() ?? 0
        return max(queued, inFlight.values.lazy.map(\.item.height).max() ?? 0)
    }

    /// Whether `hash` is requested from `peer`.
    func isRequested(_ hash: Hash256, from peer: UInt64) -> Bool { inFlight[hash]?.peer == peer }

    mutating func addPeer(_ peer: UInt64, now: UInt64) {
        if peers[peer] == nil { peers[peer] = PeerQueue(lastProgress: now) }
    }

    mutating func setBestHeight(_ height: UInt64, of peer: UInt64) {
        guard let current = peers[peer]?.bestHeight, height > current else { return }
        peers[peer]?.bestHeight = height
    }

    /// Queues `items` for `peer` (each once), keeping the queue in height order: the lowest
    /// must go first or the tip cannot move (blocks taken back from a staller, a header batch
    /// asked for again). Returns how many were refused and why.
    mutating func schedule(_ items: [Item], for peer: UInt64) -> [Refusal: Int] {
        var refused = [Refusal: Int]()
        guard var queue = peers.removeValue(forKey: peer) else { return refused }
        var added = [Item]()
        for item in items where inFlight[item.hash]?.peer != peer && !queue.queued.contains(item.hash) {
            if queue.count + added.count >= limits.queuePerPeer {
                refused[.peerQueueFull, default: 0] += 1
            } else if queuedTotal + added.count >= limits.queueTotal {
                refused[.queueFull, default: 0] += 1
            } else {
                added.append(item)
                queue.queued.insert(item.hash)
            }
        }
        let ordered = zip(added, added.dropFirst()).allSatisfy { $0.height <= $1.height }
        if let lowest = added.first?.height, !ordered || (queue.count > 0 && lowest < queue.items[queue.items.count - 1].height) {
            queue.items = (queue.items[queue.head...] + added).sorted { $0.height < $1.height }
            queue.head = 0
        } else {
            queue.items += added
        }
        queuedTotal += added.count
        peers[peer] = queue
        return refused
    }

    /// The next blocks to ask `peer` for, marked in flight. Requests go out in batches of at
    /// least half a window (fewer getdata messages); a block in flight from another peer is
    /// skipped (it is reassigned if that peer fails), one `isStored` says we have is dropped.
    /// `most` bounds what this call adds to the requests in flight over all peers (the room
    /// left where the blocks will land).
    mutating func nextRequests(for peer: UInt64, now: UInt64, tipHeight: UInt64, most: Int = .max, isStored: (Hash256) -> Bool) -> [Item] {
        // Out of the dictionary while it changes, so its arrays are not copied.
        guard var queue = peers.removeValue(forKey: peer) else { return [] }
        defer { peers[peer] = queue }
        let wasIdle = queue.inFlight == 0
        var claimed = [Item]()
        let ceiling = tipHeight + limits.aheadOfTip
        while queue.count > 0 {
            let room = min(window - queue.inFlight, most) - claimed.count
            // Blocks in the queue rise in height: count those under the ceiling.
            var eligible = 0
            while eligible < room, eligible < queue.count, queue.items[queue.head + eligible].height <= ceiling { eligible += 1 }
            // Half a window at least, unless the room left where blocks land (`most`) is less:
            // an import queue smaller than half a window waited for a batch that never fit.
            guard eligible > 0, eligible >= min(window / 2, queue.count, most) || !claimed.isEmpty || eligible < room else { break }
            let taken = queue.popFront(eligible)
            queuedTotal -= taken.count
            for item in taken where !isStored(item.hash) {
                if let flight = inFlight[item.hash] {
                    // Asked of this peer already (its headers named it twice), or of another
                    // within the timeout: asking again would fetch it twice.
                    if flight.peer == peer || now < flight.at + limits.requestTimeout { continue }
                    peers[flight.peer]?.inFlight -= 1
                }
                inFlight[item.hash] = Flight(peer: peer, at: now, item: item)
                claimed.append(item)
            }
        }
        if wasIdle, !claimed.isEmpty { queue.lastProgress = now }
        queue.inFlight += claimed.count
        return claimed
    }

    /// Requests in flight to one peer: what `Limits.windowBytes` holds at the average size of
    /// the blocks delivered so far (32 before any), within `windowMin...windowMax`.
    var window: Int { min(limits.windowMax, max(limits.windowMin, limits.windowBytes / max(1, averageBlockSize))) }

    /// A block of `size` bytes arrived from `peer`: its request, if it was `peer`'s, is done.
    /// Returns the item (nil for a block nobody asked `peer` for, whose size does not count).
    mutating func delivered(_ hash: Hash256, from peer: UInt64, now: UInt64, size: Int) -> Item? {
        guard let flight = inFlight[hash], flight.peer == peer else { return nil }
        // A moving average over about the last eight blocks: the window follows a chain whose
        // blocks grow, and one large block does not shrink it at once.
        averageBlockSize = (averageBlockSize * 7 + min(size, limits.windowBytes)) / 8
        inFlight[hash] = nil
        peers[peer]?.inFlight -= 1
        peers[peer]?.lastProgress = now
        peers[peer]?.lastDelivery = now
        stallTimeout = max(limits.stallBase, stallTimeout * 85 / 100)
        return flight.item
    }

    /// `peer` said it does not have `hash`: the slot is returned and the block asked of another.
    mutating func notFound(_ hash: Hash256, from peer: UInt64) -> Item? {
        guard let flight = inFlight[hash], flight.peer == peer else { return nil }
        inFlight[hash] = nil
        peers[peer]?.inFlight -= 1
        return flight.item
    }

    /// Forgets `peer`; returns what it had in flight and queued, for other peers to fetch.
    mutating func removePeer(_ peer: UInt64) -> [Item] {
        guard let queue = peers.removeValue(forKey: peer) else { return [] }
        queuedTotal -= queue.count
        var orphaned = [Item]()
        for (hash, flight) in inFlight where flight.peer == peer {
            inFlight[hash] = nil
            orphaned.append(flight.item)
        }
        orphaned.sort { $0.height < $1.height }
        return orphaned + queue.items[queue.head...]
    }

    /// Keeps `items` aside until the tip moves (see `parked`).
    mutating func park(_ items: [Item]) {
        parked += items
        if parked.count > 4 * Int(limits.aheadOfTip) { parked.removeFirst(parked.count - 4 * Int(limits.aheadOfTip)) }
    }

    /// The parked items, to queue again.
    mutating func unpark() -> [Item] {
        defer { parked = [] }
        return parked
    }

    /// Peers with blocks queued and room for at least half a window: after the tip moves, the
    /// ceiling rises and they may be asked for more.
    func hungryPeers() -> [UInt64] {
        peers.filter { $0.value.count > 0 && $0.value.inFlight <= window / 2 }.map(\.key)
    }

    /// Puts `items` in the queues of peers other than `excluding` that announced a height
    /// reaching them, shortest queue first (unless one has them queued already); returns those
    /// no peer could take.
    mutating func reassign(_ items: [Item], excluding: UInt64? = nil) -> [Item] {
        var left = [Item]()
        var plan = [UInt64: [Item]]()
        var sizes = peers.mapValues(\.count)
        for item in items where inFlight[item.hash] == nil {
            if peers.contains(where: { $0.key != excluding && $0.value.queued.contains(item.hash) }) { continue }
            let candidates = peers.filter { $0.key != excluding && $0.value.bestHeight >= item.height }
            guard let target = candidates.keys.min(by: { sizes[$0, default: 0] < sizes[$1, default: 0] }) else {
                left.append(item)
                continue
            }
            plan[target, default: []].append(item)
            sizes[target, default: 0] += 1
        }
        for (target, batch) in plan {
            let refused = schedule(batch, for: target)
            if !refused.isEmpty { left += batch.filter { peers[target]?.queued.contains($0.hash) != true } }
        }
        return left
    }

    /// What the periodic check found.
    struct Expiry: Sendable, Equatable {
        /// Peers holding requests past the stall timeout while another peer delivers.
        var stallers: [UInt64] = []
        /// Requests given up after `requestTimeout` (slots returned), to fetch elsewhere.
        var timedOut: [Item] = []
        /// The peers those requests were given up on.
        var timedOutPeers: Set<UInt64> = []
    }

    /// Finds stallers and gives up requests past `requestTimeout`.
    mutating func expire(now: UInt64) -> Expiry {
        var result = Expiry()
        for (hash, flight) in inFlight where now >= flight.at + limits.requestTimeout {
            inFlight[hash] = nil
            peers[flight.peer]?.inFlight -= 1
            result.timedOut.append(flight.item)
            result.timedOutPeers.insert(flight.peer)
        }
        result.timedOut.sort { $0.height < $1.height }
        for (id, queue) in peers where queue.inFlight > 0 && now >= queue.lastProgress + stallTimeout {
            // Others delivered since this peer last did: the fault is the peer's, not the link's.
            let othersDeliver = peers.contains { $0.key != id && $0.value.lastDelivery.map { $0 > queue.lastProgress } == true }
            if othersDeliver { result.stallers.append(id) }
        }
        if !result.stallers.isEmpty { stallTimeout = min(stallTimeout * 2, limits.stallMax) }
        return result
    }
}
