import CKeelSupport
import Foundation
import KeelFiles
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
/// It is forked by the process's `Spawner` thread: its own process group, stdin from /dev/null,
/// and SIGKILLed by the kernel when the test runner dies (a killed runner leaves no node behind).
/// Its output is kept with the test's artifacts when the test fails (`TestArtifacts`).
public final class ChildProcess: Sendable {
    /// Lines read so far, shared with the reader thread and the test's artifact scope.
    final class Output: Sendable {
        let lines = Mutex<[String]>([])
        let closed = Atomic<Bool>(false)

        var text: String { lines.withLock { $0.joined(separator: "\n") } }
    }

    private let captured = Output()
    /// The raw wait status once reaped (only this pid is ever waited for: a `waitpid(-1)` would
    /// take other tests' children).
    private let waitStatus = Mutex<Int32?>(nil)
    /// The process id (also its process group id).
    public let pid: Int32

    /// Starts `executable` (an absolute path: nothing searches `PATH`) with `arguments` and
    /// this process's environment; stdout and stderr are merged and captured.
    public init(_ executable: String, _ arguments: [String]) throws {
        // Close-on-exec from the start: tests start processes from many threads at once, and a
        // node spawned by another test in the instant between pipe() and this spawn would inherit
        // the write end and hold it open for its whole life, so this output would never end.
        var fds: [Int32] = [-1, -1], status: [Int32] = [-1, -1]
        guard keel_pipe_cloexec(&fds) == 0, keel_pipe_cloexec(&status) == 0 else {
            let error = errno
            for fd in fds + status where fd >= 0 { close(fd) }
            throw PollTimeout(what: "a pipe for \(executable) (errno \(error))")
        }
        let (pid, forkErrno) = Spawner.shared.spawn(
            executable, arguments, environment: ProcessInfo.processInfo.environment, stdout: fds[1], stderr: fds[1], status: status[1])
        close(fds[1])
        close(status[1])
        guard pid > 0 else {
            close(fds[0]); close(status[0])
            throw PollTimeout(what: "a fork for \(executable) (errno \(forkErrno))")
        }
        // The status pipe closes on a successful exec; four bytes are exec's errno.
        var execErrno: Int32 = 0
        let got = read(status[0], &execErrno, MemoryLayout<Int32>.size)
        close(status[0])
        self.pid = pid
        ChildProcess.drain(fds[0], into: captured)
        if got == MemoryLayout<Int32>.size {
            _ = reap(blocking: true)
            throw PollTimeout(what: "\(executable) to start (exec failed, errno \(execErrno))")
        }
        TestArtifacts.current?.keep(output: captured, of: "\((executable as NSString).lastPathComponent)-\(pid)")
    }

    /// Reads `fd` to end of file on a thread of its own, splitting lines.
    private static func drain(_ fd: Int32, into captured: Output) {
        LineReader.start(
            fd, name: "keel-test-out",
            onLines: { lines in captured.lines.withLock { $0.append(contentsOf: lines) } },
            onEnd: { captured.closed.store(true, ordering: .releasing) })
    }

    /// The wait status if the process has exited (reaping it), else nil.
    private func reap(blocking: Bool = false) -> Int32? {
        waitStatus.withLock { known in
            if let known { return known }
            var status: Int32 = 0
            var got: pid_t
            repeat { got = waitpid(pid, &status, blocking ? 0 : WNOHANG) } while got < 0 && errno == EINTR
            if got == pid { known = status }
            return known
        }
    }

    /// Every complete line so far.
    public var output: [String] { captured.lines.withLock { $0 } }

    /// Whether the output pipe has reached end of file (every line is in `output`).
    public var outputClosed: Bool { captured.closed.load(ordering: .acquiring) }

    /// Sends `signal` (e.g. SIGTERM, SIGKILL) to the process.
    public func send(_ signal: Int32) { kill(pid, signal) }

    /// Whether the process is still running.
    public var isRunning: Bool { reap() == nil }

    /// Its exit code, or the signal number for a signal death (as Foundation's `Process`
    /// reports it); nil while it runs.
    public var terminationStatus: Int32? {
        guard let status = reap() else { return nil }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
    }

    /// Waits up to `timeout` seconds (scaled) for the process to exit; returns its status (the
    /// signal number for a signal death) or nil on timeout.
    public func waitForExit(timeout: Double, interval: Double = 0.02) async -> Int32? {
        guard await Poll.holds(within: timeout, interval: interval, { !self.isRunning }) else { return nil }
        return terminationStatus
    }

    /// Whether the process died from a signal (false while it runs).
    public var exitedBySignal: Bool { reap().map { $0 & 0x7f != 0 } ?? false }

    /// Waits until a line satisfies `predicate`; returns it, or nil at the deadline or exit.
    public func waitForLine(timeout: Double, _ predicate: @escaping @Sendable (String) -> Bool) async -> String? {
        var found: String?
        _ = await Poll.holds(within: timeout) {
            found = self.output.first(where: predicate)
            return found != nil || !self.isRunning
        }
        return found ?? output.first(where: predicate)
    }

    deinit {
        if reap() == nil {
            kill(pid, SIGKILL)
            _ = reap(blocking: true)
        }
    }
}
