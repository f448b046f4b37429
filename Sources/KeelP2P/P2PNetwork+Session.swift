import KeelCore
import KeelStorage
import NIOCore

extension P2PNetwork {
    /// Runs one connection to its end: checks bans and limits (inbound), then a reader, a
    /// writer and a timer task until either side closes. `outcome` (dials) learns whether the
    /// handshake completed.
    func runSession(
        _ connection: NIOAsyncChannel<Frame, Frame>, direction: Handshake.Direction, dialed: PeerRecord?,
        outcome: DialOutcome?, handshakeTimeout: Double? = nil, probe: Bool = false
    ) async {
        let remote = connection.channel.remoteAddress
        let host = remote?.ipAddress ?? "unknown"
        let now = clock.nowMilliseconds()
        let timeout = UInt64((handshakeTimeout ?? configuration.connectTimeout) * 1000)
        let handshake = Handshake(local: versionInfo(), direction: direction, now: P2PNetwork.monotonicMilliseconds(), timeout: timeout)
        let policy = InboundPolicy(maxInbound: configuration.maxInbound, maxPerHost: configuration.maxInboundPerHost)
        // Admission and registration under one lock, so concurrent accepts cannot overfill.
        let admitted = state.withLock { s -> (peer: Peer?, evict: Peer?, rejection: String?) in
            var evict: Peer?
            if direction == .inbound {
                if s.stopping { return (nil, nil, "shutdown") }
                if s.book.isBanned(host, now: now) { return (nil, nil, "banned") }
                let decision = policy.admit(fromHost: s.inboundByHost[host, default: 0], inbound: s.inboundCounted.count) {
                    s.inboundCounted.compactMap { s.peers[$0]?.evictionCandidate }
                }
                switch decision {
                case .accept: break
                case .reject(let reason): return (nil, nil, reason)
                case .evict(let id):
                    // Closed and uncounted inside the lock, so a concurrent accept does not
                    // count it too.
                    evict = s.peers[id]
                    evict?.close("evicted")
                    if let evict { s.uncountInbound(evict) }
                }
            }
            let peer = Peer(
                id: s.nextID, direction: direction, host: host, port: remote?.port ?? 0, dialedAddress: dialed?.address, probe: probe,
                channel: connection.channel, handshake: handshake, now: P2PNetwork.monotonicMilliseconds())
            s.nextID += 1
            s.peers[peer.id] = peer
            if direction == .inbound {
                s.inboundCounted.insert(peer.id)
                s.inboundByHost[host, default: 0] += 1
            }
            let remembered = s.hostScores.score(for: host, now: clock.nowMilliseconds())
            peer.state.withLock { $0.score = remembered }
            return (peer, evict, nil)
        }
        guard let peer = admitted.peer else {
            if let rejection = admitted.rejection, rejection != "shutdown" { metrics.rejectedInbound(rejection) }
            do {
                try await connection.channel.close()
            } catch {
                // Already closed by the other side: the rejection is done either way.
            }
            return
        }
        if let evicted = admitted.evict {
            logger.info("inbound slots full: evicted the least useful inbound peer", metadata: ["peer": "\(evicted.id)", "for": "\(peer.id)"])
        }
        peer.state.withLock { $0.outcome = outcome }
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask {
                        // What was queued while the last frames were written goes in one write.
                        while let frames = await peer.outbox.takeAll() {
                            try await outbound.write(contentsOf: frames)
                            var sent = 0
                            for frame in frames {
                                let size = Frame.headerSize + frame.payload.count
                                self.metrics.message(frame.command, "sent", bytes: size)
                                sent += size
                            }
                            peer.state.withLock { $0.queuedBytes -= sent }
                        }
                    }
                    tasks.addTask { await self.timerLoop(peer) }
                    tasks.addTask { try await self.read(inbound, from: peer) }
                    _ = try await tasks.next()
                    tasks.cancelAll()
                }
            }
        } catch let error as FrameError {
            punish(peer, .malformed(error))
        } catch {
            logger.debug("peer connection ended", metadata: ["peer": "\(peer.id)", "error": "\(error)"])
        }
        peer.close("closed")
        finish(peer)
    }

    /// Frames read from the peer wait in an inbox (up to `inboxBytes`, then the socket is not
    /// read) and are handled in order on a worker thread, what arrived meanwhile in one hop.
    /// Returns once the peer closes and every frame read before is handled; a malformed frame
    /// is thrown after the frames before it are handled.
    private func read(_ inbound: NIOAsyncChannelInboundStream<Frame>, from peer: Peer) async throws {
        let inbox = Mailbox<Frame>(capacity: P2PNetwork.inboxBytes) { Frame.headerSize + $0.payload.count }
        try await withThrowingTaskGroup(of: Void.self) { reader in
            reader.addTask {
                defer { inbox.finish() }
                self.perform(peer.state.withLock { $0.handshake.start() }, peer)
                for try await frame in inbound {
                    guard await inbox.putWaiting(frame), !peer.isClosing else { break }
                }
            }
            while let frames = await inbox.takeAll() {
                try await workers.runIfActive {
                    for frame in frames where !peer.isClosing { self.receive(frame, from: peer) }
                }
                if peer.isClosing { break }
            }
            inbox.finish()
            reader.cancelAll()
            do {
                try await reader.waitForAll()
            } catch is CancellationError {
                // Stopped reading because the peer is closing: not an error of the peer's.
            }
        }
    }

    /// Bytes of frames read ahead of the one being handled, per peer: a download window of
    /// small blocks, or one large block (a frame is taken whatever its size, then reading waits).
    static let inboxBytes = 1 << 20

    /// Forgets a closed peer and records why it went.
    private func finish(_ peer: Peer) {
        let (reason, wasEstablished, outcome, node, score) = peer.state.withLock {
            ($0.closing ?? "closed", $0.establishedAt != nil, $0.outcome, $0.version?.nonce, $0.score.value)
        }
        outcome?.complete(false)
        let until = clock.nowMilliseconds() + UInt64(configuration.banSeconds * 1000)
        state.withLock { s in
            s.hostScores.remember(host: peer.host, score: score, until: until)
            s.peers[peer.id] = nil
            if let node, s.outboundNodes[node] == peer.id { s.outboundNodes[node] = nil }
            if !s.aliases.isEmpty { s.aliases = s.aliases.filter { $0.value != peer.id } }
            s.dialBacks.forget(peer.id)
            s.uncountInbound(peer)
            s.wake = true
        }
        releaseDownloads(of: peer)
        if wasEstablished, let node { promoteSpare(after: peer, node: node) }
        metrics.disconnected(P2PMetrics.reasons.contains(reason) ? reason : "closed")
        if wasEstablished {
            updatePeerGauges()
            logger.info("peer disconnected", metadata: ["peer": "\(peer.id)", "direction": "\(peer.direction.rawValue)", "reason": "\(reason)"])
        }
    }

    /// Handshake deadline, pings and ping timeouts.
    private func timerLoop(_ peer: Peer) async {
        var nextPing = P2PNetwork.monotonicMilliseconds()
        while !Task.isCancelled, !peer.isClosing {
            let now = P2PNetwork.monotonicMilliseconds()
            let (established, deadline) = peer.state.withLock { ($0.handshake.isEstablished, $0.handshake.deadline) }
            let wait = established ? 1000 : min(1000, deadline > now ? deadline - now : 0) + 5
            await Task.pause(for: .milliseconds(wait))
            let later = P2PNetwork.monotonicMilliseconds()
            guard established else {
                perform(peer.state.withLock { $0.handshake.tick(now: later) }, peer)
                continue
            }
            let interval = UInt64(configuration.pingInterval * 1000)
            let outstanding = peer.state.withLock { $0.ping }
            if let outstanding, later > outstanding.sent + max(interval * 2, 20_000) {
                peer.close("ping_timeout")
            } else if outstanding == nil, later >= nextPing {
                sendPing(peer)
                nextPing = later + interval
            }
            askForHeadersIfUnconnected(peer, pending: true)
        }
    }

    func sendPing(_ peer: Peer) {
        let nonce = UInt64.random(in: 0...UInt64.max)
        peer.state.withLock { $0.ping = (nonce, P2PNetwork.monotonicMilliseconds()) }
        peer.send(.ping(nonce))
    }

    /// Carries out a state machine's actions.
    func perform(_ actions: [Handshake.Action], _ peer: Peer) {
        for action in actions {
            switch action {
            case .send(let message): peer.send(message)
            case .established(let info): established(peer, info)
            case .disconnect(let reason): punish(peer, reason)
            }
        }
    }

    /// Closes the connection for `reason`, charging its penalty; bans the host if the score runs out.
    func punish(_ peer: Peer, _ reason: DisconnectReason) {
        if reason == .selfConnection, let dialed = peer.dialedAddress {
            // The address is ours: never dial it again.
            state.withLock { s in
                s.ownAddresses.insert(dialed)
                _ = s.book.remove(dialed)
            }
            var batch = WriteBatch()
            batch.deletePeer(address: dialed)
            persist(batch, sync: false, "a peer record")
        }
        if reason.penalty > 0 {
            let exhausted = peer.state.withLock { s -> Bool in
                s.score.charge(points: reason.penalty)
                return s.score.shouldBan
            }
            if exhausted { ban(peer, reason: reason.code) }
            logger.warning("peer misbehaved", metadata: ["peer": "\(peer.id)", "host": "\(peer.host)", "reason": "\(reason)"])
        }
        peer.close(reason.code)
    }

    /// Charges an offence that does not by itself end the connection; bans when the score runs out.
    func offend(_ peer: Peer, _ offense: PeerScore.Offense, _ detail: String) {
        // A peer already on its way out (banned by an earlier offence in the same batch of
        // blocks, say) is not charged, or banned, twice.
        guard !peer.isClosing else { return }
        let exhausted = peer.state.withLock { $0.score.charge(offense) }
        logger.notice("peer offence", metadata: ["peer": "\(peer.id)", "offence": "\(offense.rawValue)", "detail": "\(detail)"])
        if exhausted {
            ban(peer, reason: offense.rawValue)
            peer.close(offense.rawValue)
        }
    }

    /// Bans the peer's host for `banSeconds`, persisted so a restart keeps it.
    func ban(_ peer: Peer, reason: String) {
        let until = clock.nowMilliseconds() + UInt64(configuration.banSeconds * 1000)
        let record = state.withLock { s in
            let record = s.book.ban(host: peer.host, until: until, reason: reason)
            metrics.bannedHosts.set(to: Double(s.book.bans.count))
            return record
        }
        var batch = WriteBatch()
        batch.putBan(record)
        persist(batch, sync: true, "a ban")
        metrics.banned(P2PMetrics.reasons.contains(reason) ? reason : "protocol_violation")
        // The ban is on the host: its other connections go too, or a host could keep one good
        // connection open while it misbehaves on others.
        let key = AddressBook.banKey(peer.host)
        let others = state.withLock { s in s.peers.values.filter { AddressBook.banKey($0.host) == key && $0.id != peer.id } }
        for other in others { other.close(P2PMetrics.reasons.contains(reason) ? reason : "protocol_violation") }
        logger.warning(
            "banned peer host",
            metadata: [
                "host": "\(peer.host)", "reason": "\(reason)", "until_ms": "\(until)",
                "other_connections_closed": "\(others.count)",
            ])
    }

    /// Counts and sets under the network lock, so concurrent handshakes cannot leave a stale
    /// count as the last one written.
    func updatePeerGauges() {
        let established = state.withLock { s in
            let established = s.peers.values.filter { $0.isEstablished }
            metrics.peers["inbound"]?.set(to: Double(established.count(where: { $0.direction == .inbound })))
            metrics.peers["outbound"]?.set(to: Double(established.count(where: { $0.direction == .outbound })))
            return established
        }
        // The median, so that one peer with a wrong clock does not move it.
        let offsets = established.compactMap { $0.state.withLock { $0.clockOffset } }.sorted()
        metrics.peerClockOffset.set(to: offsets.isEmpty ? 0 : Double(offsets[offsets.count / 2]) / 1000)
    }
}
