import KeelAPIModels
import KeelCore
import KeelStorage
import NIOCore

extension P2PNetwork {
    /// The bound listen address (`host:port`), once listening.
    public var listenAddress: String? { state.withLock { $0.listenAddress } }

    /// Open connections, including those still in their handshake.
    public var connectionCount: Int { state.withLock { $0.peers.count } }

    /// Peers that completed the handshake.
    public func peers() -> [API.Peer] {
        let now = P2PNetwork.monotonicMilliseconds()
        return establishedPeers().sorted { $0.id < $1.id }.map { peer in
            peer.state.withLock { s in
                API.Peer(
                    id: peer.id, direction: peer.direction.rawValue,
                    remoteAddress: PeerRecord.format(host: peer.host, port: UInt16(clamping: peer.port)),
                    listenAddress: (s.version?.listenPort).flatMap { $0 == 0 ? nil : PeerRecord.format(host: peer.host, port: $0) },
                    userAgent: s.version?.userAgent ?? "", bestHeight: s.bestHeight, pingSeconds: s.lastPingSeconds,
                    score: s.score.value, connectedSeconds: Double(now - min(s.establishedAt ?? now, now)) / 1000)
            }
        }
    }

    /// The health loop's view.
    public func health() -> API.NetworkHealth {
        let summaries = peers()
        let inbound = summaries.count(where: { $0.direction == "inbound" })
        let outbound = summaries.count - inbound
        let tip = chain.tip.height
        let best = bestPeerHeight()
        return state.withLock { s in
            let seeds = s.seeds.keys.sorted().map { address in
                let seed = s.seeds[address]!
                return API.NetworkHealth.Seed(
                    address: address, reachable: seed.reachable, latencySeconds: seed.latency,
                    lastAttempt: seed.lastAttempt, lastError: seed.lastError)
            }
            var reasons = [String]()
            var status = "ok"
            let failed = seeds.filter { $0.reachable == false }.count
            if !s.seeds.isEmpty, summaries.isEmpty, failed == 0 {
                status = "connecting"
                reasons.append("no peers yet: dialling \(seeds.count) seed and --connect addresses")
            } else if !s.seeds.isEmpty, summaries.isEmpty {
                status = "isolated"
                reasons.append("no peers: \(failed) of \(seeds.count) seed and --connect addresses failed their last dial; retrying")
            } else if configuration.targetOutbound > 0, outbound < configuration.targetOutbound, s.book.count > outbound {
                status = "degraded"
                reasons.append("\(outbound) outbound peers, below the target of \(configuration.targetOutbound)")
            }
            return API.NetworkHealth(
                status: status, reasons: reasons, listenAddress: s.listenAddress, inbound: inbound, outbound: outbound,
                targetOutbound: configuration.targetOutbound, addressBookSize: s.book.count,
                learnedAddresses: s.book.learnedCount, bannedHosts: s.book.bans.count, seeds: seeds,
                tipHeight: tip, bestPeerHeight: best, retryDelaySeconds: s.retryDelay)
        }
    }

    /// Why the node should not count as ready, if the network is the reason: configured seeds
    /// and no peer at all.
    public func readinessProblems() -> [String] {
        let health = health()
        return health.status == "isolated" ? health.reasons : []
    }

    /// Bytes of frames queued for every peer and not yet written.
    public var queuedBytes: Int { state.withLock { Array($0.peers.values) }.reduce(0) { $0 + $1.state.withLock { $0.queuedBytes } } }

    /// The address book, for `keel peers export`.
    public func exportPeers() -> [PeerRecord] {
        state.withLock { Array($0.book.records.values) }.sorted { $0.address < $1.address }
    }

    /// Adds addresses from a bundle as `imported` (persisted; configured entries keep their
    /// source), and wakes the dialler. Addresses the dial policy refuses (not loopback, on dev)
    /// are counted in the report and not kept.
    public func importPeers(_ addresses: [String]) -> API.PeerImport {
        let now = clock.nowMilliseconds()
        var added = 0, known = 0, invalid = 0, refused = 0
        var batch = WriteBatch()
        state.withLock { s in
            for address in addresses {
                guard let (host, port) = P2PConfiguration.parse(address) else {
                    invalid += 1
                    continue
                }
                guard dialPolicy.decide(host: host, source: .imported) == .dial else {
                    metrics.refusedAddress(.imported)
                    refused += 1
                    continue
                }
                let key = PeerRecord.format(host: host, port: port)
                if s.book.records[key] != nil {
                    known += 1
                } else if let record = s.book.add(host: host, port: port, source: .imported, seen: now) {
                    batch.putPeer(record)
                    added += 1
                }
            }
            s.wake = true
        }
        persist(batch, sync: true, "imported addresses")
        updateBookGauges()
        return API.PeerImport(added: added, known: known, invalid: invalid, refused: refused)
    }

    /// Dials `address` now (kept in the book as `manual`); true once the handshake completes.
    public func connect(to address: String) async -> Bool {
        guard let (host, port) = P2PConfiguration.parse(address) else { return false }
        let now = clock.nowMilliseconds()
        let record = state.withLock { s -> PeerRecord in
            if let added = s.book.add(host: host, port: port, source: .manual, seen: now) { return added }
            return s.book.records[PeerRecord.format(host: host, port: port)] ?? PeerRecord(host: host, port: port, source: .manual, lastSeen: now)
        }
        var batch = WriteBatch()
        batch.putPeer(record)
        persist(batch, sync: false, "a peer record")
        // Counted as dialling until the handshake ends, so the outbound loop does not pick the
        // same address meanwhile.
        let claimed = state.withLock { $0.dialing.insert(record.address).inserted }
        let outcome = DialOutcome(eventLoop: group.next())
        spawn { await self.dial(record, outcome: outcome) }
        let ok = await outcome.wait()
        if claimed { state.withLock { _ = $0.dialing.remove(record.address) } }
        return ok
    }

    /// Closes every connection to `address` (dialled, or a peer listening there); returns how many.
    @discardableResult
    public func disconnect(address: String) -> Int {
        let matching = state.withLock { Array($0.peers.values) }.filter { $0.dialedAddress == address || $0.listenAddress == address }
        for peer in matching { peer.close("requested") }
        return matching.count
    }

    /// Asks a connected peer to dial our listen address back; nil if there is no peer to ask
    /// or we do not listen.
    public func dialBackCheck() async -> (reachable: Bool, seconds: Double?)? {
        guard let port = listenAddress.flatMap(P2PConfiguration.parse)?.port,
            let peer = establishedPeers().first
        else { return nil }
        let nonce = UInt64.random(in: 0...UInt64.max)
        let check = ReachCheck(eventLoop: group.next())
        state.withLock { $0.reachChecks[nonce] = check }
        peer.send(.reachCheck(port: port, nonce: nonce))
        let deadline = group.next().scheduleTask(in: .milliseconds(Int64((configuration.connectTimeout + 2) * 1000))) {
            check.outcome.complete(false)
        }
        let reachable = await check.outcome.wait()
        deadline.cancel()
        state.withLock { _ = $0.reachChecks.removeValue(forKey: nonce) }
        return (reachable, check.latency.withLock { $0 }.map { $0 / 1000 })
    }

    /// `keel network verify`: the address book is populated, at least one address was learned
    /// through address exchange, and a peer can dial our listen address back.
    public func verify() async -> [API.VerifyStep] {
        let health = health()
        var steps = [API.VerifyStep]()
        steps.append(
            API.VerifyStep(
                name: "address_book", passed: health.addressBookSize > 0,
                detail: "\(health.addressBookSize) addresses known"))
        steps.append(
            API.VerifyStep(
                name: "address_exchange", passed: health.learnedAddresses > 0,
                detail: "\(health.learnedAddresses) addresses learned from peers"))
        if let result = await dialBackCheck() {
            let latency = result.seconds.map { "\(Int(($0 * 1000).rounded())) ms" } ?? "?"
            steps.append(
                API.VerifyStep(
                    name: "dial_back", passed: result.reachable,
                    detail: result.reachable
                        ? "a peer reached \(listenAddress ?? "?") in \(latency)"
                        : "a peer could not reach \(listenAddress ?? "?")"))
        } else {
            steps.append(
                API.VerifyStep(
                    name: "dial_back", passed: false,
                    detail: listenAddress == nil ? "the node does not listen (--p2p-addr)" : "no connected peer to ask"))
        }
        return steps
    }
}

extension P2PNetwork {
    /// Writes address-book and ban records. They are hints (the book is learned again), so a
    /// refused write does not stop the P2P layer, but it is never silent: it is counted and
    /// logged with what was being written.
    func persist(_ batch: WriteBatch, sync: Bool, _ what: String) {
        do {
            try store.write(batch, sync: sync)
        } catch {
            metrics.storeWriteFailures.increment()
            logger.warning("could not write \(what) to the store; kept in memory", metadata: ["error": "\(error)"])
        }
    }
}
