import KeelChain
import KeelCore
import KeelMetrics
import KeelStorage
import NIOCore

extension P2PNetwork {
    /// Handles one frame from `peer`: decode, rate-limit, then the handshake or the message.
    func receive(_ frame: Frame, from peer: Peer) {
        metrics.message(frame.command, "received", bytes: Frame.headerSize + frame.payload.count)
        if frame.command == "block", peer.isEstablished, skipUnwantedBlock(frame, from: peer) { return }
        let message: Message
        do {
            message = try Message(frame: frame)
        } catch {
            punish(peer, DisconnectReason(code: "malformed_message", message: "'\(frame.command)': \(error)", penalty: 100))
            return
        }
        let now = P2PNetwork.monotonicMilliseconds()
        let (allowed, established) = peer.state.withLock { s in
            s.lastReceived = now
            return (s.buckets[Peer.MessageClass(message)]?.take(Peer.cost(of: message), now: now) ?? true, s.handshake.isEstablished)
        }
        guard allowed else {
            offend(peer, .flood, "'\(message.command)' over its rate limit")
            return
        }
        guard established else {
            perform(peer.state.withLock { $0.handshake.receive(message) }, peer)
            return
        }
        handle(message, from: peer, size: frame.payload.count)
    }

    /// A block nobody asked this peer for is judged by its header before the rest is decoded
    /// (decoding a 4 MB block is most of what it costs us): one whose parent we lack, or whose
    /// branch has less work than our tip, is dropped unread. Returns true when it was.
    func skipUnwantedBlock(_ frame: Frame, from peer: Peer) -> Bool {
        guard frame.payload.count >= BlockHeader.encodedSize else { return false }
        var reader = ByteReader(Array(frame.payload.prefix(BlockHeader.encodedSize)))
        let header: BlockHeader
        do { header = try BlockHeader(from: &reader) } catch {
            return false  // not skipped: the full decode rejects the frame and scores the peer
        }
        let hash = header.hash
        guard !downloader.withLock({ $0.isRequested(hash, from: peer.id) }) else { return false }
        switch chain.admits(header, rule: .unrequested) {
        case nil:
            metrics.ignore("block", "unrequested_orphan")
            askForHeadersIfUnconnected(peer)
            return true
        case false?:
            metrics.ignore("block", "low_work")
            return true
        case true?:
            return false
        }
    }

    /// Asks `peer` for headers from our locator, at most once a second (its announcements do
    /// not connect to what we have). An ask within the second is made when it is up (`pending`,
    /// from the peer's timer): a node catching up announces only its tip, and a peer that
    /// dropped that one announcement would never learn the chain.
    func askForHeadersIfUnconnected(_ peer: Peer, pending: Bool = false) {
        let now = P2PNetwork.monotonicMilliseconds()
        let ask = peer.state.withLock { s -> Bool in
            if pending, !s.headerSync.unconnectedAskPending { return false }
            guard now >= s.headerSync.lastUnconnectedAsk + 1_000 else {
                s.headerSync.unconnectedAskPending = true
                return false
            }
            s.headerSync.lastUnconnectedAsk = now
            s.headerSync.unconnectedAskPending = false
            return true
        }
        if ask { peer.send(.getheaders(locator: chain.locator(), stop: .zero)) }
    }

    /// A completed handshake: record the peer, learn its address, start sync and discovery.
    func established(_ peer: Peer, _ info: VersionInfo) {
        let now = clock.nowMilliseconds()
        peer.state.withLock { s in
            s.version = info
            s.establishedAt = P2PNetwork.monotonicMilliseconds()
            s.bestHeight = info.bestHeight
            // Latency makes this at most a round trip off: seconds matter here, not milliseconds.
            if info.timestamp != 0 { s.clockOffset = Int64(bitPattern: info.timestamp &- now) }
        }
        if peer.probe {
            peer.state.withLock { $0.outcome }?.complete(true)
            peer.close("requested")
            return
        }
        if peer.direction == .outbound {
            let duplicate = state.withLock { s -> Bool in
                if let other = s.outboundNodes[info.nonce], other != peer.id, s.peers[other] != nil {
                    if let dialed = peer.dialedAddress { s.aliases[dialed] = other }
                    return true
                }
                s.outboundNodes[info.nonce] = peer.id
                return false
            }
            if duplicate {
                // Already connected out to this node: the dial succeeded, the session is surplus.
                peer.state.withLock { $0.outcome }?.complete(true)
                peer.close("duplicate")
                return
            }
        }
        let monotonic = P2PNetwork.monotonicMilliseconds()
        downloader.withLock { d in
            d.addPeer(peer.id, now: monotonic)
            d.setBestHeight(info.bestHeight, of: peer.id)
        }
        var batch = WriteBatch()
        var learned: PeerRecord?
        state.withLock { s in
            if let dialed = peer.dialedAddress {
                if let record = s.book.markSuccess(dialed, now: now) { batch.putPeer(record) }
                if s.seeds[dialed] != nil {
                    s.seeds[dialed]?.reachable = true
                    s.seeds[dialed]?.lastError = nil
                }
                s.retryDelay = 1
            } else if info.listenPort != 0, configuration.discovery {
                if dialPolicy.decide(host: peer.host, source: .inbound) != .dial {
                    metrics.refusedAddress(.inbound)
                } else if let record = s.book.add(host: peer.host, port: info.listenPort, source: .inbound, seen: now) {
                    batch.putPeer(record)
                    learned = record
                }
                for address in s.book.takeDeletions() { batch.deletePeer(address: address) }
            }
        }
        persist(batch, sync: false, "a peer record")
        peer.state.withLock { $0.outcome }?.complete(true)
        updatePeerGauges()
        updateBookGauges()
        logger.info(
            "peer connected",
            metadata: [
                "peer": "\(peer.id)", "direction": "\(peer.direction.rawValue)", "height": "\(info.bestHeight)", "agent": "\(info.userAgent)",
            ])
        if configuration.discovery {
            // Asked for: its answer may be a full addr.
            peer.state.withLock { $0.addrTokens.refill(Double(Message.maxAddresses)) }
            peer.send(.getaddr)
            // Teach the others a newly heard listener, so a node that knows only us learns it.
            if let learned {
                let item = PeerAddress(host: learned.host, port: learned.port, lastSeen: now)
                for other in establishedPeers() where other.id != peer.id { other.send(.addr([item])) }
            }
        }
        if joinNode(peer, info.nonce) { peer.send(.getheaders(locator: chain.locator(), stop: .zero)) }
        sendPing(peer)
    }

    /// Peers that completed the handshake.
    func establishedPeers() -> [Peer] { state.withLock { Array($0.peers.values) }.filter { $0.isEstablished && !$0.isClosing } }

    /// Handles a message after the handshake.
    func handle(_ message: Message, from peer: Peer, size: Int) {
        switch message {
        case .version, .verack:
            offend(peer, .protocolViolation, "'\(message.command)' after the handshake")
        case .ping(let nonce):
            peer.send(.pong(nonce))
        case .pong(let nonce):
            let latency = peer.state.withLock { s -> Double? in
                guard let ping = s.ping, ping.nonce == nonce else { return nil }
                s.ping = nil
                let seconds = Double(P2PNetwork.monotonicMilliseconds() - ping.sent) / 1000
                s.lastPingSeconds = seconds
                return seconds
            }
            if let latency { metrics.pingSeconds.record(latency) }
        case .getaddr:
            answerGetaddr(peer)
        case .addr(let addresses):
            learn(addresses, from: peer)
        case .inv(let items):
            handleInventory(items, from: peer)
        case .getdata(let items):
            serve(items, to: peer)
        case .notfound(let items):
            let returned = downloader.withLock { d in items.filter { $0.kind == .block }.compactMap { d.notFound($0.hash, from: peer.id) } }
            reassign(returned, excluding: peer.id)
            requestBlocks(from: peer)
        case .getheaders(let locator, let stop):
            do {
                peer.send(.headers(try chain.headers(after: locator, stop: stop == .zero ? nil : stop, limit: Message.maxHeaders)))
            } catch {
                // A store read failed: the peer gets no headers (it asks another) and we log it.
                logger.error("cannot read headers for a peer", metadata: ["peer": "\(peer.id)", "error": "\(error)"])
                peer.send(.headers([]))
            }
        case .headers(let headers):
            handleHeaders(headers, from: peer)
        case .block(let block):
            handleBlock(block, size: size, from: peer)
        case .tx(let tx):
            handleTransaction(tx, from: peer)
        case .reachCheck(let port, let nonce):
            dialBack(peer, port: port, nonce: nonce)
        case .reachResult(let nonce, let reachable, let milliseconds):
            let check = state.withLock { $0.reachChecks.removeValue(forKey: nonce) }
            check?.latency.withLock { $0 = Double(milliseconds) }
            check?.outcome.complete(reachable)
        }
    }

    private func answerGetaddr(_ peer: Peer) {
        guard configuration.discovery else { return }
        let first = peer.state.withLock { s -> Bool in
            defer { s.answeredGetaddr = true }
            return !s.answeredGetaddr
        }
        // Once per connection: repeated requests would let a peer scrape the book for free.
        guard first else { return }
        let now = clock.nowMilliseconds()
        let own = peer.listenAddress
        let records = state.withLock { $0.book.sample(limit: Message.maxAddresses, now: now) }
        let addresses = records.filter { $0.address != own }.map { PeerAddress(host: $0.host, port: $0.port, lastSeen: $0.lastSeen) }
        peer.send(.addr(addresses))
    }

    private func learn(_ addresses: [PeerAddress], from peer: Peer) {
        guard configuration.discovery else { return }
        let now = clock.nowMilliseconds()
        var batch = WriteBatch()
        let allowed = peer.state.withLock { s in min(addresses.count, s.addrTokens.available(now: P2PNetwork.monotonicMilliseconds())) }
        peer.state.withLock { _ = $0.addrTokens.take(Double(allowed), now: P2PNetwork.monotonicMilliseconds()) }
        if allowed < addresses.count { metrics.addressesRateLimited.increment(by: Int64(addresses.count - allowed)) }
        // Checked before the lock: the book's lock is the dialler's and every session's too.
        let wanted = addresses.prefix(allowed).filter { address in
            // Learned addresses must be IP literals: a name would make us resolve whatever a
            // peer chooses.
            guard P2PNetwork.isIPLiteral(address.host) else { return false }
            // Dropped, not kept: a book full of addresses we will never dial would only
            // crowd out ones we can, and would be passed on to other peers.
            guard dialPolicy.decide(host: address.host, source: .addr) == .dial else {
                metrics.refusedAddress(.addr)
                return false
            }
            return true
        }
        state.withLock { s in
            for address in wanted {
                let key = PeerRecord.format(host: address.host, port: address.port)
                guard !s.ownAddresses.contains(key), key != s.listenAddress else { continue }
                if let record = s.book.add(
                    host: address.host, port: address.port, source: .addr, seen: min(address.lastSeen, now),
                    from: peer.host)
                {
                    batch.putPeer(record)
                }
            }
            // Evicted from a full bucket: gone from the database too, so a reload cannot bring
            // them back.
            for address in s.book.takeDeletions() { batch.deletePeer(address: address) }
            s.wake = true
        }
        persist(batch, sync: false, "learned addresses")
        updateBookGauges()
    }

    func updateBookGauges() {
        state.withLock { s in
            metrics.addressBookSize.set(to: Double(s.book.count))
            metrics.bannedHosts.set(to: Double(s.book.bans.count))
        }
    }

    /// Blocks we may still be fetching above a block we connect while we announce it: more, and
    /// we are catching up (as `PropagationWindow.tolerance`: two quick blocks do not stop relay).
    static let relayLag: UInt64 = 6

    /// Most objects served per `getdata` (one header batch's worth of blocks).
    static let maxServed = Message.maxHeaders

    /// Answers `getdata` from the store and the mempool, at most `maxServed` objects: asking
    /// for more is a protocol violation (it would make us buffer gigabytes for one peer).
    private func serve(_ items: [InventoryItem], to peer: Peer) {
        // Many blocks read, encoded and queued at once: the allocator keeps freed pages meanwhile.
        if items.count > 1 { Heap.bulk { serveItems(items, to: peer) } } else { serveItems(items, to: peer) }
    }

    private func serveItems(_ items: [InventoryItem], to peer: Peer) {
        if items.count > P2PNetwork.maxServed {
            offend(peer, .protocolViolation, "getdata for \(items.count) objects (at most \(P2PNetwork.maxServed))")
        }
        var missing = [InventoryItem]()
        for item in items.prefix(P2PNetwork.maxServed) where !peer.isClosing {
            switch item.kind {
            case .block:
                do {
                    if let block = try chain.block(item.hash) {
                        peer.markKnown(item.hash)
                        peer.send(.block(block))
                    } else {
                        missing.append(item)
                    }
                } catch {
                    // A store read failed: answered as not found, and logged.
                    logger.error("cannot read a block for a peer", metadata: ["hash": "\(item.hash)", "error": "\(error)"])
                    missing.append(item)
                }
            case .transaction:
                if let tx = chain.mempoolTransaction(item.hash) {
                    peer.markKnown(item.hash)
                    peer.send(.tx(tx))
                } else {
                    missing.append(item)
                }
            }
        }
        if !missing.isEmpty { peer.send(.notfound(missing)) }
    }

    /// Whether `host` is an IPv4 or IPv6 literal (not a name to resolve).
    static func isIPLiteral(_ host: String) -> Bool {
        do {
            _ = try SocketAddress(ipAddress: host, port: 0)
            return true
        } catch {
            return false
        }
    }
}
