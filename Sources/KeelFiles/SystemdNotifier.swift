import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// systemd's notify protocol (sd_notify(3)) without libsystemd: a unit with `Type=notify` hears
/// `READY=1` when the process serves, `WATCHDOG=1` while its main loop lives (`WatchdogSec=`),
/// `STATUS=` for `systemctl status`, and `STOPPING=1` on a graceful stop. Outside systemd
/// (`NOTIFY_SOCKET` unset) every call does nothing, so the binaries need no flag for it.
public struct SystemdNotifier: Sendable {
    /// The socket systemd listens on (`@` starts an abstract name); nil outside a notify unit.
    public let socketPath: String?
    /// Seconds between watchdog pings (half of `WATCHDOG_USEC`, as sd_watchdog_enabled(3)
    /// advises); nil when systemd does not watch this process.
    public let watchdogInterval: Double?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, pid: Int32 = getpid()) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        // The watchdog is for the process systemd started (WATCHDOG_PID, when set, names it),
        // not for a child that inherited the environment.
        let forUs = environment["WATCHDOG_PID"].map { Int32($0) == pid } ?? true
        if path != nil, forUs, let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0 {
            watchdogInterval = usec / 2e6
        } else {
            watchdogInterval = nil
        }
    }

    /// Sends `state` (newline-separated `KEY=value` lines); false when not under systemd or
    /// the send failed (systemd gone: nothing to do about it but carry on).
    @discardableResult
    public func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !path.isEmpty, path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.enumerated() { raw[index] = byte }
        }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let bytes = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddr in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sockaddr, length) }
            }
        }
        return sent == bytes.count
    }

    /// The process serves; `status` shows in `systemctl status`.
    public func ready(status: String) { notify("READY=1\nSTATUS=\(status)") }

    /// One line for `systemctl status`.
    public func status(_ text: String) { notify("STATUS=\(text)") }

    /// The main loop is alive (call at least every `watchdogInterval`).
    public func watchdog() { notify("WATCHDOG=1") }

    /// A graceful stop has begun (systemd then waits `TimeoutStopSec=` for the exit).
    public func stopping(status: String) { notify("STOPPING=1\nSTATUS=\(status)") }
}
