import KeelChain
import KeelCore
import KeelStorage

extension P2PNetwork {
    /// Requests announced objects we lack: transactions not seen are asked for at once; a block
    /// we lack makes us ask the peer for headers (a block is fetched only once its header is
    /// checked), so an `inv` of random hashes costs one `getheaders`, not a download queue.
    func handleInventory(_ items: [InventoryItem], from peer: Peer) {
        var transactions = [InventoryItem]()
        var unknownBlock = false
        // Marked as known for the first 1,000 only: marking costs a cache insert each, and an
        // honest peer announces a handful at a time.
        for (i, item) in items.enumerated() {
            if i < 1_000 { peer.markKnown(item.hash) }
            switch item.kind {
            case .block:
                if !unknownBlock, !hasBlock(item.hash) { unknownBlock = true }
            case .transaction:
                // A thousand asked for per inv at most: the rest will be announced again.
                guard transactions.count < 1_000 else { continue }
                let request = state.withLock { !$0.seenTransactions.contains(item.hash) } && chain.mempoolEntry(item.hash) == nil
                if request { transactions.append(item) }
            }
        }
        if !transactions.isEmpty { peer.send(.getdata(transactions)) }
        if unknownBlock { peer.send(.getheaders(locator: chain.locator(), stop: .zero)) }
    }

    /// Headers-first sync: the batch is checked against the chain rules (`HeaderSync`), and the
    /// blocks of a branch with enough work are queued for download from this peer; the next
    /// batch is asked for when this one was full and the peer's queue has room.
    func handleHeaders(_ headers: [BlockHeader], from peer: Peer) {
        guard let last = headers.last else { return }
        // A batch ending on a block we store (an announcement of one we have, or a batch we
        // fetched from another peer) is news only of the peer's height: checking it against
        // the rules again would read its ancestors from the store once per message. A stored
        // block's ancestors are stored, so nothing in it is left to fetch.
        if isQueuedOrStored(last.hash) {
            notePeerHeight(last.height, of: peer)
            // A full batch: the peer has more after it, asked for as any batch's next.
            if headers.count == Message.maxHeaders { peer.state.withLock { $0.headerSync.resumeFrom = last.hash } }
            requestBlocks(from: peer)
            return
        }
        var sync = peer.state.withLock { $0.headerSync }
        let outcome = sync.process(
            headers, full: headers.count == Message.maxHeaders, threshold: chain.antiDoSWorkThreshold,
            now: clock.nowMilliseconds(), checkFrom: chain.headerCheck(extending:))
        var resume: Hash256?
        var unconnected = false
        switch outcome {
        case .fetch(let items, let more):
            if let last = items.last { notePeerHeight(last.height, of: peer) }
            schedule(items.filter { !hasBlock($0.hash) }, for: peer)
            if more, let last = items.last { resume = last.hash }
        case .presync(let last):
            metrics.ignore("headers", "presync")
            peer.send(.getheaders(locator: [last], stop: .zero))
        case .redownload:
            peer.send(.getheaders(locator: chain.locator(), stop: .zero))
        case .mismatch:
            metrics.ignore("headers", "redownload_mismatch")
        case .lowWork:
            metrics.ignore("headers", "low_work")
        case .fromTheFuture:
            metrics.ignore("headers", "from_the_future")
            logger.notice("headers from the future (is our clock behind?)", metadata: ["peer": "\(peer.id)"])
        case .unconnected:
            metrics.ignore("headers", "unconnected")
            // The peer is on a branch past our locator's reach, or announced ahead of us.
            unconnected = true
        case .invalid(let error):
            offend(peer, .invalidBlock, "header: \(error.code): \(error.message)")
        }
        if let resume { sync.resumeFrom = resume }
        peer.state.withLock { $0.headerSync = sync }
        if unconnected { askForHeadersIfUnconnected(peer) }
        requestBlocks(from: peer)
        metrics.bestPeerHeight.set(to: Double(bestPeerHeight()))
    }

    /// Records an established session with node `node` (its handshake nonce); returns whether
    /// it is the node's first, which syncs headers. A later one is a spare: two nodes that each
    /// dial a peer of their own choosing hold two sessions with each other (`outboundLoop`
    /// allows it, as Bitcoin Core does), and syncing over both fetched and checked every header
    /// twice, the serving node reading each from RocksDB twice: a fresh node syncing 10,000
    /// blocks from three nodes that dialled it back ran at 0.44-0.47 of local import, 0.53-0.57
    /// with those nodes not dialling (keel-bench sync). When the first closes, the next takes
    /// over (`promoteSpare`). Announcements are answered on every session as before.
    func joinNode(_ peer: Peer, _ node: UInt64) -> Bool {
        state.withLock { s in
            s.nodeSessions[node, default: []].append(peer.id)
            return s.nodeSessions[node]?.first == peer.id
        }
    }

    /// Whether `peer` is a later session with a node we hold an earlier one with (`joinNode`).
    func isSpare(_ peer: Peer) -> Bool {
        guard let node = peer.state.withLock({ $0.version?.nonce }) else { return false }
        return state.withLock { s in s.nodeSessions[node].map { $0.first != peer.id } ?? false }
    }

    /// `closed` ended: it leaves its node's sessions, and if it was the one syncing headers and
    /// the node is ahead, the next session (a spare until now) asks for headers at once rather
    /// than at the next health round (its blocks in flight were handed over by `releaseDownloads`).
    func promoteSpare(after closed: Peer, node: UInt64) {
        let next = state.withLock { s -> Peer? in
            guard var sessions = s.nodeSessions[node], let index = sessions.firstIndex(of: closed.id) else { return nil }
            sessions.remove(at: index)
            s.nodeSessions[node] = sessions.isEmpty ? nil : sessions
            guard index == 0, let first = sessions.first else { return nil }
            return s.peers[first]
        }
        guard let next, next.isEstablished, !next.isClosing, next.state.withLock({ $0.bestHeight }) > chain.tip.height else { return }
        next.send(.getheaders(locator: chain.locator(), stop: .zero))
    }

    func notePeerHeight(_ height: UInt64, of peer: Peer) {
        peer.state.withLock { $0.bestHeight = max($0.bestHeight, height) }
        downloader.withLock { $0.setBestHeight(height, of: peer.id) }
    }

    /// Whether a block is here already: held until its parent comes, queued for import (or
    /// being imported), or in the chain. Asking for a block that is here fetches it twice (with
    /// three peers, a quarter of the blocks were fetched twice before the held ones counted).
    /// The queue is asked before the chain: the importer stores a block before it leaves the
    /// queue, so a block moving between the two is seen in one of them.
    func hasBlock(_ hash: Hash256) -> Bool { orphans.withLock { $0.contains(hash) } || isQueuedOrStored(hash) }

    /// Whether a block is queued for import (or being imported) or in the chain: a block whose
    /// parent is can be imported (a held parent does not count: it is not connectable yet).
    func isQueuedOrStored(_ hash: Hash256) -> Bool { imports.withLock { $0.contains(hash) } || chain.knowsBlock(hash) }

    /// Adds blocks to the peer's download queue (once each), counting what its bounds refused.
    func schedule(_ items: [BlockDownloader.Item], for peer: Peer) {
        guard !items.isEmpty else { return }
        let refused = downloader.withLock { $0.schedule(items, for: peer.id) }
        for (reason, count) in refused { metrics.refusedDownload(reason.rawValue, count: count) }
    }

    /// Sends `getdata` for the peer's next queued blocks (at most a window in flight), and asks
    /// for its next header batch once its queue has room again.
    func requestBlocks(from peer: Peer) {
        guard !peer.isClosing else { return }
        let now = P2PNetwork.monotonicMilliseconds()
        // A full import queue stops new requests until the importer catches up. The ceiling is
        // `aheadOfTip` above the last block handed to the importer (which bounds what waits as
        // orphans), so blocks keep coming while a batch validates.
        // Nor are more blocks in flight than the queue has room for: a block that arrives to a
        // full queue is set aside and asked for again, a round trip lost.
        let (full, queuedHeight, queueRoom) = imports.withLock { ($0.isFull, $0.highestHeight, $0.room) }
        guard !full else { return }
        let tip = max(chain.tip.height, queuedHeight)
        let (claimed, room) = downloader.withLock { d in
            (
                d.nextRequests(for: peer.id, now: now, tipHeight: tip, most: queueRoom - d.inFlight.count) { hash in self.hasBlock(hash) },
                d.wantsMoreHeaders(from: peer.id)
            )
        }
        if !claimed.isEmpty { peer.send(.getdata(claimed.map { InventoryItem(kind: .block, hash: $0.hash) })) }
        if room,
            let resume = peer.state.withLock({ s -> Hash256? in
                defer { s.headerSync.resumeFrom = nil }
                return s.headerSync.resumeFrom
            })
        {
            peer.send(.getheaders(locator: [resume], stop: .zero))
        }
        updateDownloadGauges()
    }

    /// The download ceiling rose: parked blocks are queued again, and peers waiting under the
    /// ceiling are asked for more (with `everyone`, every peer: room in the import queue again
    /// means a peer turned away meanwhile may have nothing queued to be woken by).
    func tipMoved(except peer: Peer?, everyone: Bool = false) {
        let (parked, hungry) = downloader.withLock { d in (d.unpark(), d.hungryPeers()) }
        if !parked.isEmpty {
            // What no peer can take now waits for the next move (or the stall watchdog).
            downloader.withLock { d in d.park(d.reassign(parked)) }
        }
        guard everyone || !hungry.isEmpty || !parked.isEmpty else { return }
        let peers = state.withLock { s in
            s.peers.values.filter { $0.id != peer?.id && (everyone || !parked.isEmpty || hungry.contains($0.id)) }
        }
        for other in peers where other.isEstablished { requestBlocks(from: other) }
    }

    /// Blocks a failed peer had queued or in flight go to peers that can serve them.
    func reassign(_ items: [BlockDownloader.Item], excluding peer: UInt64?) {
        let wanted = items.filter { !hasBlock($0.hash) }
        guard !wanted.isEmpty else { return }
        // What no peer can take yet (none has announced that height) is set aside, not dropped.
        downloader.withLock { d in d.park(d.reassign(wanted, excluding: peer)) }
        for other in establishedPeers() where other.id != peer { requestBlocks(from: other) }
    }

    /// The download round: stallers (requests unanswered while others deliver) are
    /// disconnected and their blocks asked of others; requests past the timeout are given up.
    func checkDownloads() {
        let now = P2PNetwork.monotonicMilliseconds()
        let expiry = downloader.withLock { $0.expire(now: now) }
        let dropped = orphans.withLock { $0.expire(now: now) }
        if dropped > 0 { metrics.ignore("block", "orphan_expired", count: dropped) }
        if !expiry.timedOut.isEmpty {
            metrics.requestsExpired["timeout"]?.increment(by: Int64(expiry.timedOut.count))
            reassign(expiry.timedOut, excluding: expiry.timedOutPeers.count == 1 ? expiry.timedOutPeers.first : nil)
        }
        let (stallers, hungry) = state.withLock { s in (expiry.stallers.compactMap { s.peers[$0] }, s.peers) }
        for peer in stallers {
            metrics.requestsExpired["stalled"]?.increment(by: Int64(downloader.withLock { $0.inFlight(to: peer.id) }))
            logger.notice("peer stalled the block download; disconnecting", metadata: ["peer": "\(peer.id)"])
            peer.close("stalling")
            releaseDownloads(of: peer)
        }
        let waiting = Set(downloader.withLock { $0.hungryPeers() })
        for (id, peer) in hungry where waiting.contains(id) && peer.isEstablished { requestBlocks(from: peer) }
        resumeStalledSync(hungry.values.filter(\.isEstablished))
        updateDownloadGauges()
    }

    /// A peer is ahead, yet nothing is queued, in flight or being imported: whatever was to be
    /// fetched was lost on the way (set aside past its bound, a peer gone with no other to take
    /// its blocks). Blocks set aside are queued again and headers are asked for again from the
    /// peers ahead, which queues what is missing. Held orphans do not count as progress: they
    /// wait for a parent that nobody may be fetching (the case that stalled a sync under load).
    func resumeStalledSync(_ peers: [Peer]) {
        let tip = chain.tip.height
        let ahead = peers.filter { $0.state.withLock { $0.bestHeight } > tip }
        guard !ahead.isEmpty else { return }
        let idle = downloader.withLock { $0.queuedTotal == 0 && $0.inFlight.isEmpty }
        guard idle, imports.withLock({ $0.count == 0 && $0.highestHeight == 0 }) else { return }
        // At most every 30 s: a peer may claim a height whose chain we refuse.
        let now = P2PNetwork.monotonicMilliseconds()
        let due = state.withLock { s -> Bool in
            guard now >= s.lastSyncResume + 30_000 else { return false }
            s.lastSyncResume = now
            return true
        }
        guard due else { return }
        let parked = downloader.withLock { $0.unpark() }
        if !parked.isEmpty { reassign(parked, excluding: nil) }
        metrics.syncResumed.increment()
        logger.notice("nothing left to fetch while a peer is ahead: asking for headers again", metadata: ["height": "\(tip)"])
        let locator = chain.locator()
        for peer in ahead { peer.send(.getheaders(locator: locator, stop: .zero)) }
    }

    /// Forgets what a leaving peer had queued, in flight or held, and asks others for it.
    func releaseDownloads(of peer: Peer) {
        let items = downloader.withLock { $0.removePeer(peer.id) } + orphans.withLock { $0.removePeer(peer.id) }
        reassign(items, excluding: peer.id)
        updateDownloadGauges()
    }

    func updateDownloadGauges() {
        let (queued, flying) = downloader.withLock { ($0.queuedTotal, $0.inFlight.count) }
        let (count, bytes) = orphans.withLock { ($0.count, $0.bytes) }
        metrics.importQueue.set(to: Double(imports.withLock { $0.count }))
        metrics.downloadQueue.set(to: Double(queued))
        metrics.blocksInFlight.set(to: Double(flying))
        metrics.orphanBlocks.set(to: Double(count))
        metrics.orphanBytes.set(to: Double(bytes))
    }

    /// The highest tip a connected peer announced (0 with no peers).
    public func bestPeerHeight() -> UInt64 {
        establishedPeers().map { $0.state.withLock { $0.bestHeight } }.max() ?? 0
    }

    /// Hands a block to the importer under the anti-DoS work rule. A block we asked for that
    /// overtook its parent waits in the orphan pool; one nobody asked for whose parent is
    /// unknown is dropped and headers are asked for instead. Held children follow their parent.
    func handleBlock(_ block: Block, size: Int, from peer: Peer) {
        let hash = block.hash
        peer.markKnown(hash)
        let now = P2PNetwork.monotonicMilliseconds()
        let requested = downloader.withLock { $0.delivered(hash, from: peer.id, now: now, size: size) }
        defer { requestBlocks(from: peer) }
        guard !hasBlock(hash) else { return }
        let parent = block.header.previousHash
        // The queue first, then the chain: the importer commits a block before it leaves the
        // queue, so a parent between the two is seen in one of them.
        guard isQueuedOrStored(parent) else {
            guard let requested else {
                metrics.ignore("block", "unrequested_orphan")
                askForHeadersIfUnconnected(peer)
                return
            }
            let (refusal, evicted) = orphans.withLock { $0.add(block, item: requested, from: peer.id, size: size, now: now) }
            // Not held: asked for again once the tip moves, not at once (it would come back
            // to the same full pool).
            if let refusal { metrics.refusedDownload("orphans_" + refusal.rawValue, count: 1) }
            if !evicted.isEmpty { metrics.refusedDownload("orphans_full", count: evicted.count) }
            let aside = (refusal == nil ? [] : [requested]) + evicted
            if !aside.isEmpty { downloader.withLock { $0.park(aside) } }
            // The parent may have been queued while this block was set aside: then nobody would
            // take it out of the pool again.
            if refusal == nil, isQueuedOrStored(parent) {
                let held = orphans.withLock { $0.takeChildren(of: parent) }
                enqueue(held.map(BlockImportQueue.Entry.init))
            }
            updateDownloadGauges()
            return
        }
        if let requested { notePeerHeight(requested.height, of: peer) }
        enqueue([BlockImportQueue.Entry(block: block, hash: hash, item: requested, peer: peer.id, size: size)])
    }

    /// Admits a relayed transaction. Only rule violations cost the sender: a missing input may
    /// just mean we have not seen its block yet, so the transaction is forgotten, not blamed.
    func handleTransaction(_ tx: Transaction, from peer: Peer) {
        let txid = tx.txid
        peer.markKnown(txid)
        guard state.withLock({ $0.seenTransactions.insert(txid) }) else { return }
        do {
            try chain.submitTransaction(tx)
        } catch let error as ConsensusError {
            if error.code == .missingInput || error.code == .coinbaseMaturity {
                state.withLock { $0.seenTransactions.remove(txid) }
                return
            }
            offend(peer, .invalidTransaction, "\(error.code): \(error.message)")
        } catch {
            // Pool conflicts and a full pool are not the peer's fault.
            logger.debug("relayed transaction not admitted", metadata: ["txid": "\(txid)", "error": "\(error)"])
        }
    }

    /// Announces what joins the chain or the mempool to every peer not known to have it: the
    /// blocks of one written group in one `headers` message (a peer checks a header before it
    /// asks for the block), transactions in one `inv`.
    func relayLoop() async {
        for await changes in changes {
            var headers = [BlockHeader](), transactions = [InventoryItem]()
            // How far the sync goes: blocks whose headers we checked, still to fetch or import.
            let syncing = max(downloader.withLock { $0.highestWanted }, imports.withLock { $0.highestHeight })
            for change in changes {
                switch change {
                case .blockConnected(let hash, let height, let origin):
                    guard origin != .reindex else { continue }
                    // Catching up, nothing is announced (as Bitcoin Core in initial block
                    // download): the peers ahead have these blocks, and one behind learns them
                    // from its own header sync or from the tip we announce once in step.
                    // Announcing each block of a sync to every other peer made the serving peers
                    // check 10,000 headers they had, two thirds of their CPU.
                    guard height + P2PNetwork.relayLag >= syncing, let header = chain.header(hash) else { continue }
                    headers.append(header)
                case .transactionAccepted(let txid):
                    state.withLock { _ = $0.seenTransactions.insert(txid) }
                    transactions.append(InventoryItem(kind: .transaction, hash: txid))
                }
            }
            guard !headers.isEmpty || !transactions.isEmpty else { continue }
            // At most one headers message's worth: a longer run is announced by its last ones
            // (a peer asks for what comes before with its locator).
            headers = Array(headers.suffix(Message.maxHeaders))
            for peer in establishedPeers() {
                // A peer that lacks the first header it is sent would not connect the rest.
                let unknown = headers.drop(while: { !peer.markKnown($0.hash) })
                for header in unknown.dropFirst() { peer.markKnown(header.hash) }
                if !unknown.isEmpty { peer.send(.headers(Array(unknown))) }
                let items = transactions.filter { peer.markKnown($0.hash) }
                if !items.isEmpty { peer.send(.inv(items)) }
            }
        }
    }
}
