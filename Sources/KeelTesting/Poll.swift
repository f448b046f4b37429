import Foundation
import KeelCore

/// Polling with a deadline: the way tests wait for a condition instead of sleeping.
///
/// Every deadline is scaled by `timeoutFactor`. `until` throws a `PollTimeout` that says what
/// was awaited, for how long and the last value seen; `holds(within:)` answers whether a
/// condition came true in time, for the tests where either answer is a result.
public enum Poll {
    /// What every deadline is multiplied by: `KEEL_TEST_TIMEOUT_FACTOR` (at least 1, default 1),
    /// for a machine slower than the ones the deadlines were chosen on (valgrind, a loaded CI host).
    public static let timeoutFactor: Double = {
        guard let text = ProcessInfo.processInfo.environment["KEEL_TEST_TIMEOUT_FACTOR"], let factor = Double(text), factor >= 1 else {
            return 1
        }
        return factor
    }()

    /// `seconds` scaled by `timeoutFactor`.
    public static func scaled(_ seconds: Double) -> Double { seconds * timeoutFactor }

    /// Checks `condition` every `interval` seconds until it holds (true) or `timeout` (scaled)
    /// passes (false). A cancelled task stops polling at once (false): a cancelled sleep throws
    /// immediately, and looping on it would spin.
    public static func holds(within timeout: Double, interval: Double = 0.02, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(scaled(timeout))
        while true {
            if try condition() { return true }
            if Date() > deadline || Task.isCancelled { return false }
            await Task.pause(for: .seconds(interval))
        }
    }

    /// Waits until `condition` holds; throws `PollTimeout` naming `what` once `timeout` (scaled)
    /// passes.
    public static func until(
        _ what: @autoclosure () -> String, timeout: Double, interval: Double = 0.02, _ condition: () throws -> Bool
    ) async throws {
        guard try await holds(within: timeout, interval: interval, condition) else {
            throw PollTimeout(what: what(), seconds: scaled(timeout))
        }
    }

    /// Samples `value` until `satisfies` accepts it and returns that value; throws `PollTimeout`
    /// naming `what` and the last value seen once `timeout` (scaled) passes.
    @discardableResult
    public static func until<T>(
        _ what: @autoclosure () -> String, timeout: Double, interval: Double = 0.02, value: () throws -> T,
        satisfies: (T) -> Bool
    ) async throws -> T {
        var last: T?
        let met = try await holds(within: timeout, interval: interval) {
            let sample = try value()
            last = sample
            return satisfies(sample)
        }
        guard met, let last else {
            throw PollTimeout(what: what(), seconds: scaled(timeout), last: last.map { String(describing: $0) } ?? "none")
        }
        return last
    }

    /// Runs a command to completion and returns its exit status and merged output.
    public static func run(_ executable: String, _ arguments: [String], timeout: Double = 60) async throws -> (status: Int32, output: String) {
        let child = try ChildProcess(executable, arguments)
        guard let status = await child.waitForExit(timeout: timeout) else {
            child.send(SIGKILL)
            throw PollTimeout(what: "\(executable) \(arguments.joined(separator: " ")) to exit", seconds: scaled(timeout))
        }
        // The reader may still be draining the pipe after exit (on a loaded machine its thread
        // can wait seconds for a core): wait for end of file, which comes once the child has
        // exited, since no other process holds the pipe (it is close-on-exec).
        guard await holds(within: 30, { child.outputClosed }) else {
            throw PollTimeout(what: "the output of \(executable) to end after it exited", seconds: scaled(30))
        }
        return (status, child.output.joined(separator: "\n"))
    }
}

/// Something awaited in a test did not happen within its deadline.
public struct PollTimeout: Error, CustomStringConvertible {
    /// What was awaited.
    public let what: String
    /// The deadline, scaled (nil when not a wait, e.g. a pipe that could not be made).
    public let seconds: Double?
    /// The last value seen, described (nil when the condition has none).
    public let last: String?

    /// A timeout (or failure to start) for `what`.
    public init(what: String, seconds: Double? = nil, last: String? = nil) {
        self.what = what
        self.seconds = seconds
        self.last = last
    }

    /// "timed out after 60 s waiting for X (last value: Y)".
    public var description: String {
        var text = seconds.map { "timed out after \(String(format: "%g", $0)) s waiting for \(what)" } ?? "failed: \(what)"
        if let last { text += " (last value: \(last))" }
        return text
    }
}
