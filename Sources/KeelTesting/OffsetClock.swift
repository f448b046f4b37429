import KeelCore

/// The system clock shifted by a fixed offset: lets tests premine chains whose timestamps run
/// ahead of real time (100 ms apart, so the difficulty stays put) without tripping the
/// future-drift rule.
public struct OffsetClock: WallClock {
    /// Milliseconds added to the system clock.
    public let offset: UInt64

    /// A clock `offset` ms ahead.
    public init(offset: UInt64) { self.offset = offset }

    /// The shifted time.
    public func nowMilliseconds() -> UInt64 { SystemClock().nowMilliseconds() + offset }
}
