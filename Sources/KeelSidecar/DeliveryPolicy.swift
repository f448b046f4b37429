import Foundation

/// What to do after one delivery attempt: done, retry (when), or give up (why). Retries with
/// exponential backoff and jitter on transport errors, timeouts, 5xx and 429 (a `Retry-After`
/// wins over the backoff); any other status is final, since sending the same body again cannot
/// change a 400 or a 404.
public struct DeliveryPolicy: Sendable, Equatable {
    /// The first retry's delay (seconds).
    public var initialBackoff: Double
    /// The delay's cap (seconds).
    public var maxBackoff: Double
    /// Seconds after queueing when an undelivered notification is given up.
    public var maxAge: Double

    /// Seconds: the first retry, the longest wait between retries, and how long a notification may wait before it is dropped.
    public init(initialBackoff: Double = 1, maxBackoff: Double = 300, maxAge: Double = 86_400) {
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.maxAge = maxAge
    }

    /// The outcome.
    public enum Decision: Sendable, Equatable {
        /// Delivered (2xx).
        case delivered
        /// Try again at this Unix time.
        case retry(at: Double)
        /// Never deliverable; the reason.
        case giveUp(String)
    }

    /// Decides after attempt number `attempts` (1 for the first) of an entry queued at
    /// `created`: `status` is nil when no HTTP response arrived. `jitter` in 0...1 spreads
    /// retries (0.5 = the plain delay).
    public func decide(status: Int?, retryAfter: String?, attempts: Int, created: Double, now: Double, jitter: Double) -> Decision {
        if let status, (200..<300).contains(status) { return .delivered }
        if let status, status != 429, status < 500 { return .giveUp("the receiver answered \(status)") }
        var delay = min(maxBackoff, initialBackoff * pow(2, Double(max(0, attempts - 1))))
        delay *= 0.8 + 0.4 * min(1, max(0, jitter))
        if let retryAfter, let asked = DeliveryPolicy.retryAfterSeconds(retryAfter, now: now) {
            delay = min(max(asked, 0), 3_600)
        }
        let at = now + delay
        if at - created > maxAge {
            return .giveUp(status.map { "still failing after \(attempts) attempts (last answer \($0))" } ?? "still failing after \(attempts) attempts")
        }
        return .retry(at: at)
    }

    /// `Retry-After` as seconds from `now`: delta-seconds or an HTTP date.
    public static func retryAfterSeconds(_ value: String, now: Double) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text), seconds.isFinite { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return date.timeIntervalSince1970 - now
    }
}
