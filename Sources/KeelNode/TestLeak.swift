import KeelCore
import Logging
import ServiceLifecycle
import Synchronization

/// A deliberate memory leak, for tests only (`keel-node --test-leak-kib-per-second N`, a hidden
/// flag): it proves the memory soak and the MemoryGrowthHigh alert catch a node whose RSS
/// keeps growing. The memory is written to, so it is resident, and never freed.
public final class TestLeak: Service, Sendable {
    /// KiB retained per second.
    public let kibPerSecond: Int
    let logger: Logger
    private let retained = Mutex<[[UInt8]]>([])

    /// A leak of `kibPerSecond`.
    public init(kibPerSecond: Int, logger: Logger) {
        self.kibPerSecond = kibPerSecond
        self.logger = logger
    }

    /// Leaks until shutdown.
    public func run() async throws {
        guard kibPerSecond > 0 else { return }
        logger.warning("test-only memory leak enabled", metadata: ["kib_per_second": "\(kibPerSecond)"])
        while !(Task.isShuttingDownGracefully || Task.isCancelled) {
            // Ten chunks a second, so RSS climbs smoothly rather than in steps.
            let chunk = [UInt8](repeating: 0xA5, count: max(1, kibPerSecond * 1_024 / 10))
            retained.withLock { $0.append(chunk) }
            await Task.pause(for: .milliseconds(100))
        }
    }
}
