extension Task where Success == Never, Failure == Never {
    /// Sleeps for `duration`, returning early if the task is cancelled. For service loops that
    /// check cancellation (or their stop flag) each time round: there a cancelled sleep is the
    /// signal to look again, not a failure to report.
    public static func pause(for duration: Duration) async {
        do {
            try await sleep(for: duration)
        } catch {
            // Only cancellation ends a sleep early; the caller's loop sees it and stops.
        }
    }
}
