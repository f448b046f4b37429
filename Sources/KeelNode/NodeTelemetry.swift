import KeelChain
import KeelCore
import KeelMetrics
import Synchronization

/// The highest tip any peer announced, once the P2P layer runs (0 before).
final class PeerHeightSource: Sendable {
    private let source = Mutex<(@Sendable () -> UInt64)?>(nil)

    /// Reads heights from `provider` from now on.
    func set(_ provider: @escaping @Sendable () -> UInt64) { source.withLock { $0 = provider } }

    /// The best peer height now.
    func current() -> UInt64 { source.withLock { $0 }?() ?? 0 }
}

/// The hooks that feed chain and signature events into the node's metrics.
struct NodeTelemetry: Sendable {
    let verifier: SignatureVerifier
    let observer: ChainState.Observer
    /// Where the best peer height comes from, for telling sync from propagation.
    let peerHeight = PeerHeightSource()

    init(metrics: NodeMetrics) {
        let peerHeight = peerHeight
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
                // arrived new: at most one below the best height any peer announced. A block
                // fetched while catching up is old by design; timing it would make a whole
                // initial sync look like slow propagation.
                if event.origin == .peer || event.origin == .api, event.height + 1 >= peerHeight.current() {
                    let now = SystemClock().nowMilliseconds()
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
            })
    }
}
