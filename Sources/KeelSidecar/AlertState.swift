/// The life of one alert as a plain state machine: inactive, pending (the condition holds but
/// not yet for `for`), firing (notified; repeated every `repeatInterval`), and back to
/// inactive with a resolved notification. It takes the time as an argument and returns what
/// to send, so tests drive it without sleeping.
public struct AlertState: Sendable, Equatable {
    /// Where the alert is.
    public enum Phase: Sendable, Equatable {
        /// The condition does not hold.
        case inactive
        /// The condition has held since `since`; firing once it has held for `for`.
        case pending(since: Double)
        /// Notified as firing; `activeSince` is when the condition began (`startsAt`).
        case firing(activeSince: Double, lastNotified: Double)
    }

    /// What the caller must send.
    public enum Action: Sendable, Equatable {
        /// The alert started firing.
        case fire(startsAt: Double)
        /// The alert is still firing and `repeatInterval` has passed.
        case repeatFiring(startsAt: Double)
        /// The alert stopped firing.
        case resolve(startsAt: Double, endsAt: Double)
    }

    /// Where the alert is: inactive, pending (its `for` not yet held) or firing.
    public private(set) var phase: Phase = .inactive

    /// Creates an inactive alert.
    public init() {}

    /// Whether it is firing.
    public var isFiring: Bool {
        if case .firing = phase { return true }
        return false
    }

    /// Evaluates once at `now` (seconds, wall clock): `active` is whether the rule's condition
    /// holds.
    public mutating func evaluate(active: Bool, now: Double, forDuration: Double, repeatInterval: Double) -> Action? {
        switch (phase, active) {
        case (.inactive, false), (.pending, false):
            phase = .inactive
            return nil
        case (.inactive, true):
            if forDuration <= 0 {
                phase = .firing(activeSince: now, lastNotified: now)
                return .fire(startsAt: now)
            }
            phase = .pending(since: now)
            return nil
        case (.pending(let since), true):
            if now - since >= forDuration {
                phase = .firing(activeSince: since, lastNotified: now)
                return .fire(startsAt: since)
            }
            return nil
        case (.firing(let since, let last), true):
            if repeatInterval > 0, now - last >= repeatInterval {
                phase = .firing(activeSince: since, lastNotified: now)
                return .repeatFiring(startsAt: since)
            }
            return nil
        case (.firing(let since, _), false):
            phase = .inactive
            return .resolve(startsAt: since, endsAt: now)
        }
    }
}
