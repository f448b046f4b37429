import KeelCore
import KeelP2P
import KeelTesting
import Testing

@Suite("Handshake, scores and token buckets", .ownThread, .keepsArtifacts)
struct HandshakeTests {
    static func info(nonce: UInt64, network: String = "dev", genesis: Hash256 = Network.dev.genesis.hash) -> VersionInfo {
        VersionInfo(network: network, genesis: genesis, nonce: nonce, listenPort: 9333, bestHeight: 3, userAgent: "test")
    }

    /// Delivers each side's sends to the other until nothing is left; returns both sides' actions.
    func run(_ a: inout Handshake, _ b: inout Handshake) -> ([Handshake.Action], [Handshake.Action]) {
        var seenA = [Handshake.Action](), seenB = [Handshake.Action]()
        var toB = a.start(), toA = b.start()
        seenA += toB
        seenB += toA
        for _ in 0..<10 where !(toA.isEmpty && toB.isEmpty) {
            let forB = toB.compactMap { if case .send(let m) = $0 { m } else { nil } }
            let forA = toA.compactMap { if case .send(let m) = $0 { m } else { nil } }
            toA = forB.flatMap { b.receive($0) }
            toB = forA.flatMap { a.receive($0) }
            seenB += toA
            seenA += toB
        }
        return (seenA, seenB)
    }

    @Test("outbound and inbound complete the handshake and learn each other")
    func completes() {
        var a = Handshake(local: Self.info(nonce: 1), direction: .outbound, now: 0)
        var b = Handshake(local: Self.info(nonce: 2), direction: .inbound, now: 0)
        let (actionsA, actionsB) = run(&a, &b)
        #expect(a.isEstablished && b.isEstablished)
        #expect(actionsA.contains(.established(Self.info(nonce: 2))))
        #expect(actionsB.contains(.established(Self.info(nonce: 1))))
    }

    @Test("another genesis, another network and ourselves are refused; only misbehaviour costs score")
    func refusals() {
        for (peer, code, penalty) in [
            (Self.info(nonce: 2, genesis: .zero), "wrong_genesis", 100),
            (Self.info(nonce: 2, network: "test"), "wrong_network", 100),
            (Self.info(nonce: 1), "self_connection", 0),
        ] {
            var inbound = Handshake(local: Self.info(nonce: 1), direction: .inbound, now: 0)
            let actions = inbound.receive(.version(peer))
            guard case .disconnect(let reason)? = actions.last else {
                Issue.record("expected a disconnect for \(code), got \(actions)")
                continue
            }
            #expect(reason.code == code)
            #expect(reason.penalty == penalty)
            #expect(!inbound.isEstablished)
        }
    }

    @Test("messages before the handshake, a second version and a stray verack are protocol violations")
    func violations() {
        var early = Handshake(local: Self.info(nonce: 1), direction: .inbound, now: 0)
        let earlyActions = early.receive(.ping(1))
        #expect(earlyActions.last == .disconnect(.protocolViolation("'ping' before the handshake finished")))
        var stray = Handshake(local: Self.info(nonce: 1), direction: .inbound, now: 0)
        if case .disconnect(let reason)? = stray.receive(.verack).last { #expect(reason.code == "protocol_violation") } else { Issue.record("no disconnect") }
        var twice = Handshake(local: Self.info(nonce: 1), direction: .inbound, now: 0)
        _ = twice.receive(.version(Self.info(nonce: 2)))
        if case .disconnect(let reason)? = twice.receive(.version(Self.info(nonce: 2))).last {
            #expect(reason.code == "protocol_violation")
        } else {
            Issue.record("no disconnect")
        }
    }

    @Test("a peer that never answers times out at the deadline, not before")
    func timeout() {
        var silent = Handshake(local: Self.info(nonce: 1), direction: .outbound, now: 1_000, timeout: 10_000)
        _ = silent.start()
        let before = silent.tick(now: 10_999)
        let at = silent.tick(now: 11_000)
        let after = silent.tick(now: 12_000)
        #expect(before.isEmpty)
        #expect(at == [.disconnect(.handshakeTimeout)])
        #expect(after.isEmpty)
    }

    @Test("scores fall by offense and ban at zero")
    func scores() {
        var score = PeerScore()
        let first = score.charge(.invalidTransaction)
        let second = score.charge(.flood)
        #expect(!first && !second)
        #expect(score.value == 70)
        var bad = PeerScore()
        let banned = bad.charge(.malformedFrame)
        #expect(banned)
    }

    @Test("token buckets allow bursts up to capacity and refill with time")
    func buckets() {
        var bucket = TokenBucket(capacity: 5, rate: 10, now: 0)
        var granted = 0
        for _ in 0..<5 where bucket.take(now: 0) { granted += 1 }
        #expect(granted == 5)
        let empty = bucket.take(now: 0)
        let half = bucket.take(now: 50)  // half a token
        let refilled = bucket.take(now: 100)  // one token after 100 ms at 10/s
        let again = bucket.take(now: 100)
        #expect(!empty && !half && refilled && !again)
        granted = 0
        for _ in 0..<5 where bucket.take(now: 10_000) { granted += 1 }
        #expect(granted == 5)  // refilled, capped at capacity
        let capped = bucket.take(now: 10_000)
        #expect(!capped)
    }
}
