#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Monotonic nanoseconds for measuring durations (never the wall clock).
public enum MonotonicTime {
    /// Now, in nanoseconds on the monotonic clock.
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Now, in seconds on the monotonic clock.
    public static func secondsNow() -> Double { Double(now()) / 1e9 }

    /// Seconds elapsed since `start`.
    public static func seconds(since start: UInt64) -> Double { Double(now() &- start) / 1e9 }
}

/// The system's real-time clock.
public struct SystemClock: WallClock {
    /// Creates the clock.
    public init() {}
    /// Milliseconds since the Unix epoch.
    public func nowMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}
