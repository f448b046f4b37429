import CKeelSupport
import Foundation
import KeelCore
import KeelFiles
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A node process the sidecar started: its own process group, killed by the kernel if the
/// sidecar dies, with stdout and stderr read line by line into bounded buffers.
final class NodeChild: Sendable {
    /// The pid (also the process group id).
    let pid: pid_t
    /// When it was started (monotonic seconds).
    let startedAt: Double

    private init(pid: pid_t, startedAt: Double) {
        self.pid = pid
        self.startedAt = startedAt
    }

    /// Starts `command`. Output goes to `stdout`/`stderr` (and to our stdout too when `echo`).
    static func spawn(
        command: String, arguments: [String], environment: [String: String], stdout: LogBuffer, stderr: LogBuffer,
        echo: Bool
    ) throws -> NodeChild {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], statusPipe: [Int32] = [-1, -1]
        guard keel_pipe_cloexec(&outPipe) == 0, keel_pipe_cloexec(&errPipe) == 0, keel_pipe_cloexec(&statusPipe) == 0 else {
            let error = errno
            for fd in outPipe + errPipe + statusPipe where fd >= 0 { close(fd) }
            throw SidecarError(.spawn, "cannot create pipes for the node", cause: Errno(error))
        }
        var env = ProcessInfo.processInfo.environment
        // systemd's notify socket is the sidecar's unit's: a node that inherited it would
        // announce itself to the wrong unit (NotifyAccess=main drops it with a warning each time).
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { env[key] = nil }
        // Lines echoed into the journal keep their priority: ask the node for journal lines.
        if echo, OperatorLogging.isJournal(STDOUT_FILENO) { env[OperatorLogging.formatVariable] = "journal" }
        for (key, value) in environment { env[key] = value }
        let (outFD, errFD, statusFD) = (outPipe[1], errPipe[1], statusPipe[1])
        let (pid, spawnErrno) = Spawner.shared.spawn(command, arguments, environment: env, stdout: outFD, stderr: errFD, status: statusFD)
        close(outPipe[1])
        close(errPipe[1])
        close(statusPipe[1])
        guard pid > 0 else {
            close(outPipe[0]); close(errPipe[0]); close(statusPipe[0])
            throw SidecarError(.spawn, "cannot start \(command)", cause: Errno(spawnErrno))
        }
        // The status pipe closes on a successful exec; four bytes mean exec failed with that errno.
        var execErrno: Int32 = 0
        let got = read(statusPipe[0], &execErrno, MemoryLayout<Int32>.size)
        close(statusPipe[0])
        let child = NodeChild(pid: pid, startedAt: Monotonic.seconds())
        NodeChild.drain(outPipe[0], into: stdout, echo: echo)
        NodeChild.drain(errPipe[0], into: stderr, echo: echo)
        if got == MemoryLayout<Int32>.size {
            throw SidecarError(.spawn, "cannot execute \(command); check node.command in the configuration", cause: Errno(execErrno))
        }
        return child
    }

    /// Sends `signal` to the node's whole process group.
    func signalGroup(_ signal: Int32) { _ = kill(-pid, signal) }

    /// SIGTERM to the group, SIGKILL if it has not exited after `gracePeriod` seconds; returns
    /// the wait status (nil if even SIGKILL did not end it within 10 s) and whether SIGKILL was
    /// needed. `onKill` runs just before the SIGKILL (for the log line).
    func terminate(gracePeriod: Double, reaper: Reaper, onKill: () -> Void = {}) async -> (status: Int32?, killed: Bool) {
        signalGroup(SIGTERM)
        if let status = await reaper.wait(for: pid, timeout: gracePeriod) { return (status, false) }
        onKill()
        signalGroup(SIGKILL)
        return (await reaper.wait(for: pid, timeout: 10), true)
    }

    /// Reads `fd` to EOF on a thread of its own, splitting lines into `buffer` (and onto our
    /// stdout, as written, when `echo`).
    private static func drain(_ fd: Int32, into buffer: LogBuffer, echo: Bool) {
        LineReader.start(fd, name: "keel-node-log") { lines in
            for line in lines {
                buffer.append(OperatorLogging.withoutPriority(line))
                if echo { print(line) }
            }
            if echo { fflush(nil) }
        }
    }
}

/// Reaps every child and re-parented orphan (the sidecar is a child subreaper), keeping the
/// wait status of each pid until asked for it, so no zombie outlives a poll.
final class Reaper: Sendable {
    private let statuses = Mutex<[pid_t: Int32]>([:])
    private let reapedCount = Atomic<Int>(0)

    /// Collects every exited child now.
    func poll() {
        while true {
            var status: Int32 = 0
            let pid = waitpid(-1, &status, WNOHANG)
            if pid <= 0 { return }
            reapedCount.add(1, ordering: .relaxed)
            statuses.withLock { $0[pid] = status }
        }
    }

    /// The wait status of `pid` once it exited (removed once read).
    func takeStatus(of pid: pid_t) -> Int32? { statuses.withLock { $0.removeValue(forKey: pid) } }

    /// Reaps, then the wait status of `pid` if it exited (kept for later readers).
    func exitStatus(of pid: pid_t) -> Int32? {
        poll()
        return statuses.withLock { $0[pid] }
    }

    /// Waits up to `timeout` seconds for `pid` to exit, reaping as it goes; takes its status.
    func wait(for pid: pid_t, timeout: Double) async -> Int32? {
        let deadline = Monotonic.seconds() + timeout
        while true {
            poll()
            if let status = takeStatus(of: pid) { return status }
            if Monotonic.seconds() >= deadline { return nil }
            await Task.pause(for: .milliseconds(10))
        }
    }

    /// Forgets statuses of processes nobody waits for (grandchildren).
    func forget(except pid: pid_t?) {
        statuses.withLock { s in
            if s.contains(where: { $0.key != pid }) { s = s.filter { $0.key == pid } }
        }
    }

    /// Children reaped so far.
    var reaped: Int { reapedCount.load(ordering: .relaxed) }
}

/// Monotonic seconds.
enum Monotonic {
    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Sleeps `seconds`, waking early once `stop()` is true (checked at least every 100 ms).
    static func sleep(_ seconds: Double, unless stop: () -> Bool) async {
        let deadline = Monotonic.seconds() + seconds
        while Monotonic.seconds() < deadline, !stop() {
            await Task.pause(for: .milliseconds(Int64(min(100, max(1, (deadline - Monotonic.seconds()) * 1000)))))
        }
    }
}

/// How a wait status reads, and its restart reason label.
enum ExitDescription {
    static func describe(_ status: Int32) -> (text: String, reason: String) {
        let signal = status & 0x7f
        if signal == 0 {
            let code = (status >> 8) & 0xff
            return ("exited with code \(code)", code == 0 ? "exit" : "crash")
        }
        let names: [Int32: String] = [
            SIGKILL: "SIGKILL", SIGTERM: "SIGTERM", SIGABRT: "SIGABRT", SIGSEGV: "SIGSEGV", SIGINT: "SIGINT",
            SIGILL: "SIGILL", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE", SIGTRAP: "SIGTRAP", SIGHUP: "SIGHUP",
        ]
        let name = names[signal] ?? String(cString: strsignal(signal))
        return ("killed by \(name) (signal \(signal))", "crash")
    }
}
