import KeelChain
import KeelCore
import KeelMetrics

/// The hooks that feed chain and signature events into the node's metrics.
struct NodeTelemetry: Sendable {
    let verifier: SignatureVerifier
    let observer: ChainState.Observer

    init(metrics: NodeMetrics) {
        verifier = SignatureVerifier { mode, count, seconds in
            metrics.signatureSeconds[mode.rawValue]?.record(seconds)
            metrics.signaturesVerified[mode.rawValue]?.increment(by: Int64(count))
        }
        observer = ChainState.Observer(
            onConnect: { event in
                metrics.blocksConnected[event.origin.rawValue]?.increment()
                metrics.blockConnectSeconds.record(event.seconds)
                metrics.chainHeight.set(to: Double(event.height))
                // Propagation is about blocks that travelled: from peers or external miners.
                if event.origin == .peer || event.origin == .api {
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
