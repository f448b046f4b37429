import KeelCore
import KeelStorage
import NIOCore
import Synchronization

/// One connection to a peer: its handshake, score, rate limits, what it is known to have, and
/// a queue of messages to send. Messages from the peer are handled in order by its session
/// task; other tasks only queue messages and read the state under its lock.
final class Peer: Sendable {
    /// Message classes with their own token bucket.
    enum MessageClass: CaseIterable {
        case control, inventory, data

        init(_ message: Message) {
            switch message {
            case .version, .verack, .ping, .pong, .getaddr, .addr, .reachCheck, .reachResult: self = .control
            case .inv, .getdata, .notfound, .getheaders: self = .inventory
            case .headers, .block, .tx: self = .data
            }
        }

        /// Burst and sustained rate per second. Generous for honest traffic (a sync answers
        /// 2,000-header batches with 2,000 blocks), tight enough that a flood runs dry.
        var limits: (capacity: Double, rate: Double) {
            switch self {
            case .control: (200, 50)
            case .inventory: (10_000, 2_000)
            case .data: (20_000, 5_000)
            }
        }
    }

    struct State: Sendable {
        var handshake: Handshake
        var version: VersionInfo?
        var score = PeerScore()
        var buckets: [MessageClass: TokenBucket]
        var known = SeenCache(capacity: 512)
        var ping: (nonce: UInt64, sent: UInt64)?
        var lastPingSeconds: Double?
        var lastReceived: UInt64
        var answeredGetaddr = false
        /// Addresses this peer may still teach us: Bitcoin Core's addr rate limit, 1,000 at once
        /// and 0.1 a second after, plus 1,000 each time we ask it (`getaddr`). The rest of an
        /// `addr` is dropped unread, so a flood costs us a counter, not the book's lock.
        var addrTokens: TokenBucket
        var queuedBytes = 0
        var closing: String?
        var establishedAt: UInt64?
        var outcome: DialOutcome?
        var bestHeight: UInt64 = 0
        /// Its clock minus ours at the handshake (ms), when it sent its time.
        var clockOffset: Int64?
        /// When it last sent a block new to us (monotonic ms): such peers are kept on eviction.
        var lastBlockAt: UInt64?
        /// Its headers-first sync (the download queue is the `BlockDownloader`'s).
        var headerSync = HeaderSync()
    }

    /// Most bytes queued for a peer before it counts as not reading: a full download window of
    /// maximum-size blocks plus room for relay traffic.
    static let maxQueuedBytes = 80 << 20

    let id: UInt64
    let direction: Handshake.Direction
    /// The remote host and port of the TCP connection.
    let host: String
    let port: Int
    /// The book address this outbound connection dialled (nil for inbound).
    let dialedAddress: String?
    /// A dial only to learn whether the address answers (closed once the handshake completes).
    let probe: Bool
    let channel: any Channel
    /// Frames to write, taken together by the session's writer.
    let outbox = Mailbox<Frame>()
    let state: Mutex<State>

    init(
        id: UInt64, direction: Handshake.Direction, host: String, port: Int, dialedAddress: String?, probe: Bool, channel: any Channel,
        handshake: Handshake, now: UInt64
    ) {
        self.id = id
        self.direction = direction
        self.host = host
        self.port = port
        self.dialedAddress = dialedAddress
        self.probe = probe
        self.channel = channel
        var buckets = [MessageClass: TokenBucket]()
        for c in MessageClass.allCases { buckets[c] = TokenBucket(capacity: c.limits.capacity, rate: c.limits.rate, now: now) }
        state = Mutex(State(handshake: handshake, buckets: buckets, lastReceived: now, addrTokens: Peer.addrBucket(now: now)))
    }

    /// Tokens a message takes from its class's bucket: one, plus one per 50 items of an
    /// inventory list, so 50,000 hashes cost what 1,000 small messages do (every item is decoded
    /// and looked at) while an honest `getdata` of a download window costs one.
    static func cost(of message: Message) -> Double {
        switch message {
        case .inv(let items), .getdata(let items), .notfound(let items): 1 + Double(items.count / 50)
        default: 1
        }
    }

    /// A full addr token bucket.
    static func addrBucket(now: UInt64) -> TokenBucket { TokenBucket(capacity: Double(Message.maxAddresses), rate: 0.1, now: now) }

    /// The peer's version, once the handshake is complete.
    var version: VersionInfo? { state.withLock { $0.handshake.isEstablished ? $0.version : nil } }

    /// Whether the handshake completed.
    var isEstablished: Bool { state.withLock { $0.handshake.isEstablished } }

    /// What inbound eviction weighs.
    var evictionCandidate: InboundPolicy.Candidate {
        state.withLock { s in
            InboundPolicy.Candidate(id: id, host: host, connectedAt: s.establishedAt, pingSeconds: s.lastPingSeconds, lastBlockAt: s.lastBlockAt)
        }
    }

    /// Whether the connection is being closed.
    var isClosing: Bool { state.withLock { $0.closing != nil } }

    /// The address the peer listens on, if it said (host of the connection, its listen port).
    var listenAddress: String? {
        guard let port = state.withLock({ $0.version?.listenPort }), port != 0 else { return nil }
        return PeerRecord.format(host: host, port: port)
    }

    /// Queues `message`; false if the peer is closing. A peer that lets more than
    /// `maxQueuedBytes` pile up is not reading: it is disconnected rather than buffered for.
    @discardableResult
    func send(_ message: Message) -> Bool {
        let frame = message.frame
        let size = Frame.headerSize + frame.payload.count
        let verdict = state.withLock { s -> Bool? in
            guard s.closing == nil else { return false }
            guard s.queuedBytes + size <= Peer.maxQueuedBytes else { return nil }
            s.queuedBytes += size
            return true
        }
        switch verdict {
        case .some(true):
            outbox.put(frame)
            return true
        case .none:
            close("slow_reader")
            return false
        default:
            return false
        }
    }

    /// Marks `hash` as known to the peer; returns false if it already was.
    @discardableResult
    func markKnown(_ hash: Hash256) -> Bool { state.withLock { $0.known.insert(hash) } }

    /// Closes the connection (once); the first reason given is the one recorded.
    func close(_ reason: String) {
        let first = state.withLock { s -> Bool in
            guard s.closing == nil else { return false }
            s.closing = reason
            return true
        }
        guard first else { return }
        outbox.finish()
        channel.close(promise: nil)
    }
}

extension PeerRecord {
    /// `host:port` with IPv6 hosts in brackets.
    static func format(host: String, port: UInt16) -> String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
