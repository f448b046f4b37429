import KeelCore

/// The `version`/`verack` exchange as a state machine: it takes messages and the time, and
/// returns what to do, so tests drive it without sockets or sleeps.
///
/// The outbound side speaks first. Each side answers a valid `version` with `verack` (the
/// inbound side sends its own `version` first), and the connection is established once a side
/// has both received the peer's `version` and had its own acknowledged.
public struct Handshake: Sendable {
    /// Who dialled.
    public enum Direction: String, Sendable {
        /// The peer dialled us.
        case inbound
        /// We dialled the peer.
        case outbound
    }

    /// What the connection should do next.
    public enum Action: Sendable, Equatable {
        /// Send a message.
        case send(Message)
        /// The handshake is complete; the peer is who this says.
        case established(VersionInfo)
        /// Close the connection for this reason.
        case disconnect(DisconnectReason)
    }

    /// Our own version.
    public let local: VersionInfo
    /// Who dialled.
    public let direction: Direction
    /// When an unfinished handshake times out (ms, monotonic).
    public let deadline: UInt64
    private var sentVersion = false
    private var peerVersion: VersionInfo?
    private var acknowledged = false
    private var finished = false

    /// A handshake starting at `now` that must finish within `timeout` ms.
    public init(local: VersionInfo, direction: Direction, now: UInt64, timeout: UInt64 = 10_000) {
        self.local = local
        self.direction = direction
        self.deadline = now + timeout
    }

    /// Whether the handshake completed.
    public var isEstablished: Bool { finished && peerVersion != nil && acknowledged }

    /// The first actions: the outbound side sends its version.
    public mutating func start() -> [Action] {
        guard direction == .outbound else { return [] }
        sentVersion = true
        return [.send(.version(local))]
    }

    /// Handles a message received before or during the handshake.
    public mutating func receive(_ message: Message) -> [Action] {
        guard !finished else { return [] }
        switch message {
        case .version(let info):
            guard peerVersion == nil else { return fail(.protocolViolation("a second version message")) }
            guard info.network == local.network else { return fail(.wrongNetwork(info.network)) }
            guard info.genesis == local.genesis else { return fail(.wrongGenesis) }
            guard info.nonce != local.nonce else { return fail(.selfConnection) }
            peerVersion = info
            var actions = [Action]()
            if !sentVersion {
                sentVersion = true
                actions.append(.send(.version(local)))
            }
            actions.append(.send(.verack))
            return actions + completeIfReady()
        case .verack:
            guard sentVersion, !acknowledged else { return fail(.protocolViolation("an unexpected verack")) }
            acknowledged = true
            return completeIfReady()
        default:
            return fail(.protocolViolation("'\(message.command)' before the handshake finished"))
        }
    }

    /// Checks the deadline.
    public mutating func tick(now: UInt64) -> [Action] {
        guard !finished, now >= deadline else { return [] }
        return fail(.handshakeTimeout)
    }

    private mutating func completeIfReady() -> [Action] {
        guard let peer = peerVersion, acknowledged else { return [] }
        finished = true
        return [.established(peer)]
    }

    private mutating func fail(_ reason: DisconnectReason) -> [Action] {
        finished = true
        return [.disconnect(reason)]
    }
}

/// Why a connection is closed, and what it costs the peer's score.
public struct DisconnectReason: Sendable, Equatable, CustomStringConvertible {
    /// A stable code (a bounded metrics label).
    public let code: String
    /// Details for logs.
    public let message: String
    /// Score the peer loses (0 for reasons that are not misbehaviour).
    public let penalty: Int

    /// The peer is on another network.
    public static func wrongNetwork(_ name: String) -> DisconnectReason {
        DisconnectReason(code: "wrong_network", message: "the peer is on the \(name) network", penalty: 100)
    }
    /// The peer follows another genesis block.
    public static let wrongGenesis = DisconnectReason(code: "wrong_genesis", message: "the peer's genesis block differs", penalty: 100)
    /// We dialled ourselves.
    public static let selfConnection = DisconnectReason(code: "self_connection", message: "connected to ourselves", penalty: 0)
    /// The handshake did not finish in time.
    public static let handshakeTimeout = DisconnectReason(code: "handshake_timeout", message: "the handshake did not finish in time", penalty: 0)
    /// Broke the protocol.
    public static func protocolViolation(_ what: String) -> DisconnectReason {
        DisconnectReason(code: "protocol_violation", message: what, penalty: 20)
    }
    /// Sent bytes that are not a frame.
    public static func malformed(_ error: FrameError) -> DisconnectReason {
        DisconnectReason(code: error.kind.rawValue, message: error.message, penalty: 100)
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
