import KeelChain
import KeelCore
import KeelMetrics
import Synchronization

/// The highest tip any peer announced, once the P2P layer runs (0 before).
final class PeerHeightSource: Sendable {
    /// The provider in a class of its own: a bare closure read out of a `Mutex` gains two
    /// reabstraction thunks per read (see `WriteTimer`), and this one is read per block.
    private final class Provider: Sendable {
        let height: @Sendable () -> UInt64
        init(_ height: @escaping @Sendable () -> UInt64) { self.height = height }
    }
    private let source = Mutex<Provider?>(nil)

    /// Reads heights from `provider` from now on.
    func set(_ provider: @escaping @Sendable () -> UInt64) {
        let box = Provider(provider)
        source.withLock { $0 = box }
    }

    /// The best peer height now.
    func current() -> UInt64 { source.withLock { $0 }?.height() ?? 0 }
}

/// Whether a block arriving now is news at the network's tip, for `keel_block_propagation_seconds`.
/// Being within one block of the best peer height is not enough: the last block of an initial
/// sync is too, yet it was mined before we caught up, so its age is the sync's length, not its
/// travel time. So: the node counts as in step from the moment it comes within `tolerance`
/// blocks of the best peer height (from start-up, if no peer is ahead) until a peer is further
/// ahead than that, and only blocks mined since it has been in step are timed. The tolerance
/// lets two quick blocks (a peer announcing the second before we connect the first) pass
/// without leaving step; the timestamp check is what keeps a sync's last blocks out.
public final class PropagationWindow: Sendable {
    private let inStepSince: Mutex<UInt64?>
    /// Blocks a peer may be ahead while we count as in step (ChainHeightStalled's lag).
    public static let tolerance: UInt64 = 6

    /// In step from `start` (ms): a node starts with no peer ahead of it.
    public init(start: UInt64) { inStepSince = Mutex(start) }

    /// Whether a block at `height` with `timestamp` (ms), connected at `now` while the best peer
    /// height is `best`, is timed.
    public func admits(height: UInt64, timestamp: UInt64, best: UInt64, now: UInt64) -> Bool {
        inStepSince.withLock { since in
            guard height + PropagationWindow.tolerance >= best else {
                since = nil
                return false
            }
            guard let from = since else {
                since = now
                return false
            }
            return timestamp >= from
        }
    }
}

/// The hooks that feed chain and signature events into the node's metrics.
struct NodeTelemetry: Sendable {
    let verifier: SignatureVerifier
    let observer: ChainState.Observer
    /// Where the best peer height comes from, for telling sync from propagation.
    let peerHeight = PeerHeightSource()

    init(metrics: NodeMetrics) {
        let peerHeight = peerHeight
        let window = PropagationWindow(start: SystemClock().nowMilliseconds())
        verifier = SignatureVerifier { mode, count, seconds in
            metrics.signatureSeconds[mode.rawValue]?.record(seconds)
            metrics.signaturesVerified[mode.rawValue]?.increment(by: Int64(count))
        }
        observer = ChainState.Observer(
            onConnect: { event in
                metrics.blocksConnected[event.origin.rawValue]?.increment()
                metrics.blockConnectSeconds.record(event.seconds)
                metrics.chainHeight.set(to: Double(event.height))
                // Propagation is about blocks that travelled (from peers or external miners) and
                // arrived new (see PropagationWindow). A block fetched while catching up is old by
                // design; timing it would make an initial sync look like slow propagation.
                let now = SystemClock().nowMilliseconds()
                if window.admits(height: event.height, timestamp: event.timestamp, best: peerHeight.current(), now: now),
                    event.origin == .peer || event.origin == .api
                {
                    metrics.blockPropagationSeconds.record(Double(now &- event.timestamp) / 1000)
                }
            },
            onReorg: { depth in
                metrics.reorgs.increment()
                metrics.reorgDepth.record(Double(depth))
            },
            onTemplate: { cached, seconds in
                if cached {
                    metrics.templateHits.increment()
                } else {
                    metrics.templateMisses.increment()
                    metrics.templateBuildSeconds.record(seconds)
                }
            },
            onReadFailure: { metrics.storageReadFailures.increment() })
    }
}
