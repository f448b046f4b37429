import KeelCore
import KeelStorage
import NIOCore
import NIOPosix
import Synchronization

/// A dial-back in progress (`keel network verify`).
final class ReachCheck: Sendable {
    let outcome: DialOutcome
    let latency = Mutex<Double?>(nil)

    init(eventLoop: any EventLoop) { outcome = DialOutcome(eventLoop: eventLoop) }
}

extension P2PNetwork {
    /// Keeps outbound peers at the target: dials the best candidate, falls back to the next
    /// on failure, and when nothing is dialable waits with a doubling delay (1 s to 60 s),
    /// saying so if every configured seed is down.
    func outboundLoop() async {
        await withDiscardingTaskGroup { tasks in
            while !Task.isCancelled, !state.withLock({ $0.stopping }) {
                let now = clock.nowMilliseconds()
                let (need, candidate) = state.withLock { s -> (Int, PeerRecord?) in
                    let outbound = s.peers.values.count(where: { $0.direction == .outbound }) + s.dialing.count
                    let need = configuration.targetOutbound - outbound
                    guard need > 0 else { return (need, nil) }
                    // Only the peers we dialled count as connected: one that dialled us is no
                    // outbound peer, and counting it would leave a node whose peers all dialled
                    // in with no peer of its own choosing (an eclipse, and OutboundPeersZero for
                    // good in a small network). Bitcoin Core dials a node that is also inbound.
                    var connected = s.dialing.union(s.ownAddresses)
                    for peer in s.peers.values where peer.direction == .outbound {
                        if let dialed = peer.dialedAddress { connected.insert(dialed) }
                        if let listen = peer.listenAddress { connected.insert(listen) }
                    }
                    if let own = s.listenAddress { connected.insert(own) }
                    for (address, id) in s.aliases where s.peers[id] != nil { connected.insert(address) }
                    // Records kept from an earlier run (or one with --allow-remote-peers) may
                    // fall outside today's policy: they stay in the book but are passed over.
                    let candidates = s.book.candidates(now: now, excluding: connected, lastAttempt: s.lastAttempt, priority: s.priority)
                    // One outbound peer per network group for learned addresses (Bitcoin Core's
                    // rule): one host on many ports, or one /16, cannot take every outbound slot.
                    // On loopback (a dev network on one machine) each node is its own group.
                    func group(_ address: String) -> String? {
                        guard let host = P2PConfiguration.parse(address)?.host else { return nil }
                        return DialPolicy.isLoopback(host) ? address : AddressBook.networkGroup(host)
                    }
                    let groups = Set(
                        s.peers.values.filter { $0.direction == .outbound }.compactMap { $0.dialedAddress.flatMap(group) }
                            + s.dialing.compactMap(group))
                    let pick = candidates.first { record in
                        dialPolicy.allows(record) && (!AddressBook.isLearned(record.source) || !groups.contains(group(record.address) ?? ""))
                    }
                    return (need, pick)
                }
                guard need > 0 else {
                    await waitForWake(seconds: configuration.healthInterval)
                    continue
                }
                guard let candidate else {
                    let delay = state.withLock { s -> Double in
                        defer { s.retryDelay = min(s.retryDelay * 2, 60) }
                        return s.retryDelay
                    }
                    warnIfSeedsDown(retryIn: delay)
                    await waitForWake(seconds: delay)
                    continue
                }
                let outcome = DialOutcome(eventLoop: group.next())
                state.withLock { s in
                    s.dialing.insert(candidate.address)
                    s.lastAttempt[candidate.address] = now
                }
                tasks.addTask { await self.dial(candidate, outcome: outcome) }
                _ = await outcome.wait()
                // At most ten dials a second: a book full of dead addresses (an addr flood) must
                // not turn the dialler into a busy loop.
                await Task.pause(for: .milliseconds(100))
                state.withLock { _ = $0.dialing.remove(candidate.address) }
            }
        }
    }

    /// Sleeps until `seconds` pass or something asks the dialler to look again.
    func waitForWake(seconds: Double) async {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline, !Task.isCancelled {
            if state.withLock({ s -> Bool in
                defer { s.wake = false }
                return s.wake || s.stopping
            }) {
                return
            }
            await Task.pause(for: .milliseconds(100))
        }
    }

    private func warnIfSeedsDown(retryIn delay: Double) {
        let now = clock.nowMilliseconds()
        let (configured, peers, warn) = state.withLock { s -> (Int, Int, Bool) in
            let warn = now >= s.lastSeedWarning + 30_000
            if warn { s.lastSeedWarning = now }
            return (s.seeds.count, s.peers.count, warn)
        }
        if configured > 0, peers == 0, warn {
            logger.warning(
                "no peer reachable: every seed and --connect address failed; retrying",
                metadata: [
                    "seeds": "\(configured)", "retry_in_s": "\(delay)",
                ])
        }
    }

    /// Dials `record` (TCP connect plus handshake within the connect timeout) and runs the
    /// session until it ends. `outcome` learns whether the handshake completed; a `probe`
    /// disconnects right after.
    func dial(_ record: PeerRecord, outcome: DialOutcome, probe: Bool = false) async {
        // The last word before a socket opens, whoever asked (dialler, probe, dial-back).
        if case .refuse(let reason) = dialPolicy.decide(host: record.host, source: record.source) {
            metrics.refusedAddress(record.source)
            logger.warning("not dialling", metadata: ["address": "\(record.address)", "reason": "\(reason)"])
            outcome.complete(false)
            return
        }
        let started = P2PNetwork.monotonicMilliseconds()
        let timeout = configuration.connectTimeout
        do {
            let connection = try await ClientBootstrap(group: group)
                .connectTimeout(.milliseconds(Int64(timeout * 1000)))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: record.host, port: Int(record.port)) { channel in self.makeAsyncChannel(channel) }
            let remaining = max(timeout - Double(P2PNetwork.monotonicMilliseconds() - started) / 1000, 0.5)
            let watcher = DialOutcome(eventLoop: group.next())
            let address = record.address
            spawn {
                let ok = await watcher.wait()
                self.recordDial(address, ok: ok, started: started, error: ok ? nil : "handshake failed")
                outcome.complete(ok)
            }
            await runSession(connection, direction: .outbound, dialed: record, outcome: watcher, handshakeTimeout: remaining, probe: probe)
        } catch {
            var timedOut = false
            if case ChannelError.connectTimeout = error { timedOut = true }
            metrics.dialed(timedOut ? "timeout" : "refused")
            recordDial(record.address, ok: false, started: started, error: timedOut ? "connect timed out" : "connection refused")
            outcome.complete(false)
        }
    }

    /// Books a dial's result: the address's failure count, and the seed's reachability.
    func recordDial(_ address: String, ok: Bool, started: UInt64, error: String?) {
        let latency = Double(P2PNetwork.monotonicMilliseconds() - min(started, P2PNetwork.monotonicMilliseconds())) / 1000
        if ok { metrics.dialed("connected") } else if error == "handshake failed" { metrics.dialed("handshake_failed") }
        var batch = WriteBatch()
        state.withLock { s in
            if !ok, let record = s.book.markFailure(address) { batch.putPeer(record) }
            s.lastAttempt[address] = clock.nowMilliseconds()
            if s.seeds[address] != nil {
                s.seeds[address]?.reachable = ok
                s.seeds[address]?.lastAttempt = clock.nowMilliseconds()
                s.seeds[address]?.lastError = error
                if ok { s.seeds[address]?.latency = latency }
            }
            metrics.seedsReachable.set(to: Double(s.seeds.values.count(where: { $0.reachable == true })))
        }
        persist(batch, sync: false, "a dial outcome")
        if !ok { logger.info("dial failed", metadata: ["address": "\(address)", "error": "\(error ?? "")"]) }
    }

    /// The periodic round: expires bans and stale requests, probes seeds we are not connected
    /// to (reachability and latency), asks peers ahead of us for headers, refreshes gauges.
    func healthLoop() async {
        while !Task.isCancelled, !state.withLock({ $0.stopping }) {
            await waitForHealthTick()
            guard !Task.isCancelled, !state.withLock({ $0.stopping }) else { return }
            healthRound()
        }
    }

    /// Checks for stalled and timed-out block requests every second.
    func downloadLoop() async {
        while !Task.isCancelled, !state.withLock({ $0.stopping }) {
            await Task.pause(for: .seconds(1))
            checkDownloads()
        }
    }

    private func waitForHealthTick() async {
        await Task.pause(for: .milliseconds(Int64(configuration.healthInterval * 1000)))
    }

    func healthRound() {
        let now = clock.nowMilliseconds()
        let (expired, probes) = state.withLock { s -> ([String], [PeerRecord]) in
            let expired = s.book.expireBans(now: now)
            var connected = s.dialing
            for peer in s.peers.values { if let dialed = peer.dialedAddress { connected.insert(dialed) } }
            let probes = s.seeds.keys.filter { !connected.contains($0) }.compactMap { s.book.records[$0] }
            s.wake = true
            return (expired, probes)
        }
        if !expired.isEmpty {
            var batch = WriteBatch()
            for host in expired { batch.deleteBan(host: host) }
            persist(batch, sync: false, "expired bans")
        }
        for record in probes {
            let outcome = DialOutcome(eventLoop: group.next())
            spawn { await self.dial(record, outcome: outcome, probe: true) }
        }
        let tip = chain.tip.height
        // Only peers we are not already fetching from: one already syncing would answer with
        // the headers it just sent, and checking 2,000 headers again every round is not free.
        let busy = Set(downloader.withLock { d in d.peers.filter { $0.value.count > 0 || $0.value.inFlight > 0 }.map(\.key) })
        for peer in establishedPeers() where peer.state.withLock({ $0.bestHeight }) > tip && !busy.contains(peer.id) && !isSpare(peer) {
            peer.send(.getheaders(locator: chain.locator(), stop: .zero))
        }
        updatePeerGauges()
        updateBookGauges()
        metrics.bestPeerHeight.set(to: Double(bestPeerHeight()))
    }

    /// Answers a peer's dial-back request: dials the host it connects from at `port`, then
    /// reports whether a handshake completed and how long it took (bounded by `DialBacks`;
    /// a refused request is answered unreachable at once).
    func dialBack(_ peer: Peer, port: UInt16, nonce: UInt64) {
        let now = P2PNetwork.monotonicMilliseconds()
        let refusal = state.withLock { $0.dialBacks.start(for: peer.id, now: now) }
        if let refusal {
            metrics.refusedDialBacks[refusal.rawValue]?.increment()
            peer.send(.reachResult(nonce: nonce, reachable: false, milliseconds: 0))
            return
        }
        let record = PeerRecord(host: peer.host, port: port, source: .addr, lastSeen: 0)
        spawn {
            defer { self.state.withLock { $0.dialBacks.finish(for: peer.id) } }
            let started = P2PNetwork.monotonicMilliseconds()
            let outcome = DialOutcome(eventLoop: self.group.next())
            self.spawn { await self.dial(record, outcome: outcome, probe: true) }
            let ok = await outcome.wait()
            let elapsed = UInt32(min(P2PNetwork.monotonicMilliseconds() - started, UInt64(UInt32.max)))
            peer.send(.reachResult(nonce: nonce, reachable: ok, milliseconds: elapsed))
        }
    }
}
