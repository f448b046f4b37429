import KeelChain
import KeelCore
import KeelStorage

extension P2PNetwork {
    /// Requests announced objects we lack: blocks not stored go to the peer's download queue,
    /// transactions not seen are asked for at once.
    func handleInventory(_ items: [InventoryItem], from peer: Peer) {
        var transactions = [InventoryItem]()
        var blocks = [Hash256]()
        for item in items {
            peer.markKnown(item.hash)
            switch item.kind {
            case .block:
                if !chain.knowsBlock(item.hash) { blocks.append(item.hash) }
            case .transaction:
                let request = state.withLock { !$0.seenTransactions.contains(item.hash) } && chain.mempoolEntry(item.hash) == nil
                if request { transactions.append(item) }
            }
        }
        if !transactions.isEmpty { peer.send(.getdata(transactions)) }
        if !blocks.isEmpty {
            schedule(blocks, from: peer)
            requestBlocks(from: peer)
        }
    }

    /// Headers-first sync: checks the batch links up and carries proof of work, queues the
    /// blocks we lack for download from this peer, and asks for the next batch when this one
    /// was full.
    func handleHeaders(_ headers: [BlockHeader], from peer: Peer) {
        guard let last = headers.last else { return }
        var previous: Hash256?
        var hashes = [Hash256]()
        for header in headers {
            let hash = header.hash
            if let previous, header.previousHash != previous {
                offend(peer, .protocolViolation, "headers do not form a chain")
                return
            }
            guard header.target.isMet(by: hash) else {
                offend(peer, .invalidBlock, "header \(hash) lacks its proof of work")
                return
            }
            previous = hash
            hashes.append(hash)
        }
        peer.state.withLock { $0.bestHeight = max($0.bestHeight, last.height) }
        let parent = headers[0].previousHash
        guard chain.knowsBlock(parent) || peer.state.withLock({ $0.scheduled.contains(parent) })
                || state.withLock({ $0.inFlight[parent] != nil }) else {
            // Not connected to anything we know: the peer is on a branch past our locator's reach.
            peer.send(.getheaders(locator: chain.locator(), stop: .zero))
            return
        }
        schedule(hashes.filter { !chain.knowsBlock($0) }, from: peer)
        requestBlocks(from: peer)
        if headers.count == Message.maxHeaders {
            peer.send(.getheaders(locator: [last.hash], stop: .zero))
        }
        metrics.bestPeerHeight.set(to: Double(bestPeerHeight()))
    }

    /// Adds blocks to the peer's download queue (once each).
    func schedule(_ hashes: [Hash256], from peer: Peer) {
        peer.state.withLock { s in
            for hash in hashes where s.scheduled.insert(hash).inserted { s.downloads.append(hash) }
        }
    }

    /// Sends `getdata` for the next queued blocks, keeping at most `Peer.downloadWindow` in
    /// flight from this peer and asking in batches of at least half a window. A block already stored, held as an orphan, or in flight from
    /// another peer (for less than 30 s) is skipped.
    func requestBlocks(from peer: Peer) {
        while !peer.isClosing {
            let candidates = peer.state.withLock { s -> [Hash256] in
                let room = Peer.downloadWindow - s.blocksInFlight
                let queued = s.downloads.count - s.downloadHead
                // Refill in half-windows: one getdata per 16 blocks keeps a fast sync far
                // below the sender's rate limit for inventory messages.
                guard queued > 0, room >= min(Peer.downloadWindow / 2, queued) else { return [] }
                let end = min(s.downloads.count, s.downloadHead + room)
                let taken = Array(s.downloads[s.downloadHead..<end])
                s.downloadHead = end
                for hash in taken { s.scheduled.remove(hash) }
                if s.downloadHead > 4_096, s.downloadHead * 2 > s.downloads.count {
                    s.downloads.removeFirst(s.downloadHead)
                    s.downloadHead = 0
                }
                return taken
            }
            guard !candidates.isEmpty else { return }
            let unknown = candidates.filter { !chain.knowsBlock($0) }
            let now = P2PNetwork.monotonicMilliseconds()
            let claimed = state.withLock { s -> [Hash256] in
                unknown.filter { hash in
                    if s.orphans[hash] != nil { return false }
                    if let flight = s.inFlight[hash], flight.peer != peer.id, now < flight.at + 30_000 { return false }
                    s.inFlight[hash] = (peer.id, now)
                    return true
                }
            }
            guard !claimed.isEmpty else { continue }
            peer.state.withLock { $0.blocksInFlight += claimed.count }
            peer.send(.getdata(claimed.map { InventoryItem(kind: .block, hash: $0) }))
        }
    }

    /// A block (or a `notfound` for one) came back from `peer`: it frees a download slot.
    func releaseDownload(_ hash: Hash256, from peer: Peer) {
        let mine = state.withLock { s -> Bool in
            guard s.inFlight[hash]?.peer == peer.id else { return false }
            s.inFlight[hash] = nil
            return true
        }
        if mine { peer.state.withLock { $0.blocksInFlight = max($0.blocksInFlight - 1, 0) } }
    }

    /// The highest tip a connected peer announced.
    func bestPeerHeight() -> UInt64 {
        establishedPeers().map { $0.state.withLock { $0.bestHeight } }.max() ?? 0
    }

    /// Submits a block; one whose parent is missing waits in the orphan pool while we ask the
    /// peer for the headers between. Orphans whose parent just connected follow it.
    func handleBlock(_ block: Block, from peer: Peer) {
        let hash = block.hash
        peer.markKnown(hash)
        peer.state.withLock { $0.bestHeight = max($0.bestHeight, block.header.height) }
        releaseDownload(hash, from: peer)
        defer { requestBlocks(from: peer) }
        guard !chain.knowsBlock(hash) else { return }
        guard chain.knowsBlock(block.header.previousHash) else {
            let count = state.withLock { s -> Int in
                s.orphanSequence += 1
                s.orphans[hash] = (block, peer.id, s.orphanSequence)
                if s.orphans.count > P2PNetwork.maxOrphans, let oldest = s.orphans.min(by: { $0.value.order < $1.value.order }) {
                    s.orphans[oldest.key] = nil
                }
                return s.orphans.count
            }
            metrics.orphanBlocks.set(to: Double(count))
            peer.send(.getheaders(locator: chain.locator(), stop: .zero))
            return
        }
        var queue = [(block, peer.id)]
        while let (next, source) = queue.popLast() {
            do {
                try chain.submit(next, origin: .peer)
                let nextHash = next.hash
                let children = state.withLock { s -> [(Block, UInt64)] in
                    let found = s.orphans.filter { $0.value.block.header.previousHash == nextHash }
                    for key in found.keys { s.orphans[key] = nil }
                    return found.values.map { ($0.block, $0.peer) }
                }
                queue += children
            } catch let error as ConsensusError {
                // A future timestamp may be our clock's fault, not the peer's.
                guard error.code != .timestampTooNew else {
                    logger.notice("block from the future", metadata: ["hash": "\(next.hash)"])
                    continue
                }
                if let sender = state.withLock({ $0.peers[source] }) { offend(sender, .invalidBlock, "\(error.code): \(error.message)") }
            } catch let error as ChainError where error.code == .knownInvalid {
                if let sender = state.withLock({ $0.peers[source] }) { offend(sender, .invalidBlock, error.message) }
            } catch {
                logger.error("could not store a block from a peer", metadata: ["hash": "\(next.hash)", "error": "\(error)"])
            }
        }
        metrics.orphanBlocks.set(to: Double(state.withLock { $0.orphans.count }))
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

    /// Announces what joins the chain or the mempool to every peer not known to have it.
    func relayLoop() async {
        for await change in changes {
            let item: InventoryItem
            switch change {
            case .blockConnected(let hash, _, let origin):
                guard origin != .reindex else { continue }
                item = InventoryItem(kind: .block, hash: hash)
            case .transactionAccepted(let txid):
                state.withLock { _ = $0.seenTransactions.insert(txid) }
                item = InventoryItem(kind: .transaction, hash: txid)
            }
            for peer in establishedPeers() where peer.markKnown(item.hash) { peer.send(.inv([item])) }
        }
    }
}
