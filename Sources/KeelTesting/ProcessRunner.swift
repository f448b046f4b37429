import CKeelSupport
import Foundation
import Synchronization

/// Where the package's built executables are: `KEEL_BIN_DIR`, or the directory of the running
/// test bundle (SwiftPM puts both in the same build products directory).
public enum Binaries {
    /// The build products directory.
    public static var directory: String {
        if let dir = ProcessInfo.processInfo.environment["KEEL_BIN_DIR"] { return dir }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }

    /// The path of executable `name`.
    public static func path(_ name: String) -> String { directory + "/" + name }
}

/// A real child process with its output captured line by line, for out-of-process tests.
public final class ChildProcess: Sendable {
    private final class Output: Sendable {
        let lines = Mutex<[String]>([])
        let partial = Mutex<[UInt8]>([])
        let closed = Atomic<Bool>(false)
    }

    private let process: Process
    private let captured = Output()
    /// The pipe's read end, held for the process's life (the handler does not keep it open).
    private let reader: FileHandle
    /// The process id.
    public let pid: Int32

    /// Starts `executable` with `arguments`; stdout and stderr are merged and captured.
    public init(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // Close-on-exec from the start (Foundation's Pipe is not): tests start processes from
        // many threads at once, and a node spawned by another test in the instant between
        // pipe() and this spawn would inherit the write end and hold it open for its whole
        // life, so this output would never reach end of file. The spawn's dup2 onto 1 and 2
        // clears the flag for this child only.
        var fds: [Int32] = [-1, -1]
        guard keel_pipe_cloexec(&fds) == 0 else { throw PollTimeout(what: "a pipe for \(executable) (errno \(errno))") }
        let reading = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        let writing = FileHandle(fileDescriptor: fds[1], closeOnDealloc: true)
        process.standardOutput = writing
        process.standardError = writing
        self.process = process
        reader = reading
        let captured = self.captured
        reading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                // A last line without a newline is still a line.
                let rest = captured.partial.withLock { buffer in
                    defer { buffer.removeAll() }; return buffer
                }
                if !rest.isEmpty { captured.lines.withLock { $0.append(String(decoding: rest, as: UTF8.self)) } }
                captured.closed.store(true, ordering: .releasing)
                return
            }
            let complete: [String] = captured.partial.withLock { buffer in
                buffer.append(contentsOf: data)
                var out = [String]()
                while let newline = buffer.firstIndex(of: 10) {
                    out.append(String(decoding: buffer[..<newline], as: UTF8.self))
                    buffer.removeSubrange(...newline)
                }
                return out
            }
            if !complete.isEmpty { captured.lines.withLock { $0.append(contentsOf: complete) } }
        }
        try process.run()
        // Our copy of the write end: once the child (and only it) closes its copies, the
        // reader sees end of file.
        try? writing.close()
        pid = process.processIdentifier
    }

    /// Every complete line so far.
    public var output: [String] { captured.lines.withLock { $0 } }

    /// Whether the output pipe has reached end of file (every line is in `output`).
    public var outputClosed: Bool { captured.closed.load(ordering: .acquiring) }

    /// Sends `signal` (e.g. SIGTERM, SIGKILL).
    public func send(_ signal: Int32) { kill(pid, signal) }

    /// Whether the process is still running.
    public var isRunning: Bool { process.isRunning }

    /// Waits up to `timeout` seconds for the process to exit; returns its status (the signal
    /// number for a signal death) or nil on timeout.
    public func waitForExit(timeout: Double, interval: Double = 0.02) async -> Int32? {
        let ok = await Poll.until(timeout: timeout, interval: interval) { !self.process.isRunning }
        guard ok else { return nil }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Whether the process died from a signal (false while it runs: Foundation traps on asking
    /// a running process why it ended, which took the whole test runner down once).
    public var exitedBySignal: Bool { !process.isRunning && process.terminationReason == .uncaughtSignal }

    /// Waits until a line satisfies `predicate`; returns it, or nil at the deadline or exit.
    public func waitForLine(timeout: Double, _ predicate: @escaping @Sendable (String) -> Bool) async -> String? {
        var found: String?
        _ = await Poll.until(timeout: timeout) {
            found = self.output.first(where: predicate)
            return found != nil || !self.process.isRunning
        }
        return found ?? output.first(where: predicate)
    }

    deinit {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Polling with a deadline: the way tests wait for a condition instead of sleeping.
public enum Poll {
    /// What every deadline is multiplied by: `KEEL_TIMEOUT_FACTOR` (default 1), for a machine
    /// slower than the ones the deadlines were chosen on (valgrind, a loaded CI host).
    public static let timeoutFactor: Double = {
        guard let text = ProcessInfo.processInfo.environment["KEEL_TIMEOUT_FACTOR"], let factor = Double(text), factor >= 1 else { return 1 }
        return factor
    }()

    /// Checks `condition` every `interval` seconds until it holds (true) or `timeout` passes
    /// (false), the timeout scaled by `timeoutFactor`. A cancelled task stops polling at once
    /// (false): a cancelled sleep throws immediately, and looping on it would spin.
    public static func until(timeout: Double, interval: Double = 0.02, _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout * timeoutFactor)
        while true {
            if try condition() { return true }
            if Date() > deadline || Task.isCancelled { return false }
            try? await Task.sleep(nanoseconds: UInt64(interval * 1e9))
        }
    }

    /// Runs a command to completion and returns its exit status and merged output.
    public static func run(_ executable: String, _ arguments: [String], timeout: Double = 60) async throws -> (status: Int32, output: String) {
        let child = try ChildProcess(executable, arguments)
        guard let status = await child.waitForExit(timeout: timeout) else {
            child.send(SIGKILL)
            throw PollTimeout(what: "\(executable) \(arguments.joined(separator: " "))")
        }
        // The reader may still be draining the pipe after exit (on a loaded machine its handler
        // can wait seconds for a thread): wait for end of file, which comes once the child has
        // exited, since no other process holds the pipe (it is close-on-exec).
        _ = await until(timeout: 10) { child.outputClosed }
        return (status, child.output.joined(separator: "\n"))
    }
}

/// A command did not finish within its deadline.
public struct PollTimeout: Error, CustomStringConvertible {
    /// What was waited for.
    public let what: String
    /// Names what was waited for.
    public init(what: String) { self.what = what }
    /// The description.
    public var description: String { "timed out waiting for \(what)" }
}
