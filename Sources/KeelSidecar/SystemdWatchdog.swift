import KeelCore
import KeelFiles
import ServiceLifecycle

/// The sidecar's side of `Type=notify` (no-op outside systemd): WATCHDOG=1 every half
/// `WatchdogSec=` while the sidecar's tasks run, and STOPPING=1 when a graceful stop begins, so
/// `systemctl status` shows the node being stopped rather than a hung sidecar. READY=1 is sent
/// by whoever knows the sidecar serves (the listener).
public struct SystemdWatchdog: Service {
    private let systemd: SystemdNotifier

    /// A watchdog for `systemd`.
    public init(systemd: SystemdNotifier) { self.systemd = systemd }

    /// Pings until graceful shutdown.
    public func run() async throws {
        let systemd = self.systemd
        await withTaskGroup(of: Void.self) { group in
            if let interval = systemd.watchdogInterval {
                group.addTask {
                    while !Task.isCancelled {
                        systemd.watchdog()
                        await Task.pause(for: .seconds(interval * 0.9))
                    }
                }
            }
            group.addTask {
                do {
                    try await gracefulShutdown()
                } catch {
                    // Cancelled rather than asked to shut down: the service is ending either way.
                }
                systemd.stopping(status: "stopping: the node is stopped first (SIGTERM, then SIGKILL after stop.timeout)")
            }
            await group.next()
            group.cancelAll()
        }
    }
}
