/// A peer's standing: it starts at 100 and misbehaviour costs points; at zero or below the peer
/// is disconnected and its address banned until the ban expires.
public struct PeerScore: Sendable, Equatable {
    /// What a peer can do wrong, and what it costs.
    public enum Offense: String, Sendable, CaseIterable {
        /// Bytes that are not a frame (bad magic, checksum, length).
        case malformedFrame = "malformed_frame"
        /// A block that breaks a consensus rule.
        case invalidBlock = "invalid_block"
        /// A transaction that breaks a consensus rule.
        case invalidTransaction = "invalid_transaction"
        /// More messages than its token bucket allows.
        case flood
        /// A message out of order or unsolicited.
        case protocolViolation = "protocol_violation"

        /// Points lost.
        public var cost: Int {
            switch self {
            case .malformedFrame, .invalidBlock: 100
            case .flood, .protocolViolation: 20
            case .invalidTransaction: 10
            }
        }
    }

    /// Current points.
    public private(set) var value: Int

    /// A fresh score.
    public init(value: Int = 100) { self.value = value }

    /// Whether the peer should be banned.
    public var shouldBan: Bool { value <= 0 }

    /// Charges `points` (a disconnect reason's penalty).
    public mutating func charge(points: Int) { value -= points }

    /// Charges an offense; returns whether the peer is now to be banned.
    @discardableResult
    public mutating func charge(_ offense: Offense) -> Bool {
        value -= offense.cost
        return shouldBan
    }
}

/// A token bucket per peer and message class: `capacity` tokens, refilled at `rate` per second,
/// one taken per message. Driven by the caller's clock (ms).
public struct TokenBucket: Sendable, Equatable {
    /// Most tokens held.
    public let capacity: Double
    /// Tokens added per second.
    public let rate: Double
    private var tokens: Double
    private var updated: UInt64

    /// A full bucket at `now`.
    public init(capacity: Double, rate: Double, now: UInt64) {
        self.capacity = capacity
        self.rate = rate
        tokens = capacity
        updated = now
    }

    /// Tokens available at `now`, whole.
    public mutating func available(now: UInt64) -> Int {
        if now > updated {
            tokens = min(capacity, tokens + Double(now - updated) / 1000 * rate)
            updated = now
        }
        return Int(tokens)
    }

    /// Adds `count` tokens (up to the capacity).
    public mutating func refill(_ count: Double) { tokens = min(capacity, tokens + count) }

    /// Takes `cost` tokens if there are enough; false means the peer is flooding.
    public mutating func take(_ cost: Double = 1, now: UInt64) -> Bool {
        if now > updated {
            tokens = min(capacity, tokens + Double(now - updated) / 1000 * rate)
            updated = now
        }
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }
}
