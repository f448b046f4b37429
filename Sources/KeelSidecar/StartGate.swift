import Synchronization

/// Holds the supervisor back until the sidecar's HTTP server is listening, so that the first
/// thing `keel-sidecar run` prints is the status page's address, not the node's own start-up
/// lines (which the supervisor echoes). Open by default: soaks and tests need no gate.
public final class StartGate: Sendable {
    private let opened: Atomic<Bool>

    /// A gate, open or shut.
    public init(open: Bool) { opened = Atomic(open) }

    /// Whether the gate has been opened.
    public var isOpen: Bool { opened.load(ordering: .acquiring) }

    /// Lets the supervisor start the node.
    public func open() { opened.store(true, ordering: .releasing) }
}
