import KeelAPI
import KeelAPIModels
import KeelCore
import KeelP2P
import KeelStorage

/// The P2P layer as the API sees it.
extension Node {
    var p2pNetwork: P2PNetwork? { p2p.withLock { $0 } }

    private func requireNetwork() throws -> P2PNetwork {
        guard let network = p2pNetwork else {
            throw APIError(.serviceUnavailable, "p2p_unavailable", "the P2P network is not running yet (the node is \(phase))")
        }
        return network
    }

    /// Connected peers.
    public func peers() throws -> [API.Peer] { try requireNetwork().peers() }

    /// The health loop's view.
    public func networkHealth() throws -> API.NetworkHealth { try requireNetwork().health() }

    /// The address book plus our own listen address (unless it is a wildcard no one can dial).
    public func exportPeers() throws -> API.PeerBundle {
        let network = try requireNetwork()
        var entries = [API.PeerBundle.Entry]()
        if let own = network.listenAddress, let (host, _) = P2PConfiguration.parse(own), host != "0.0.0.0", host != "::" {
            entries.append(.init(address: own, source: "self", lastSeen: nil, lastSuccess: nil))
        }
        entries += network.exportPeers().map {
            .init(address: $0.address, source: $0.source.name, lastSeen: $0.lastSeen, lastSuccess: $0.lastSuccess == 0 ? nil : $0.lastSuccess)
        }
        return API.PeerBundle(
            network: self.network.name, genesis: self.network.genesis.hash.hex,
            exportedAt: SystemClock().nowMilliseconds(), peers: entries)
    }

    /// Adds a bundle's addresses.
    public func importPeers(_ bundle: API.PeerBundle) throws -> API.PeerImport {
        let report = try requireNetwork().importPeers(bundle.peers.map(\.address))
        logger.info(
            "imported peers",
            metadata: [
                "added": "\(report.added)", "known": "\(report.known)", "invalid": "\(report.invalid)",
                "refused": "\(report.refused)",
            ])
        return report
    }

    /// Dials `address` now.
    public func connectPeer(_ address: String) async throws -> Bool {
        // A dev network lives on one machine: the API (or a fuzzer driving it) cannot send a
        // dev node off it either, unless the operator started it with --allow-remote-peers.
        if let problem = Node.connectScopeProblem(address, network: configuration.network, allowRemote: configuration.p2p.allowRemotePeers) {
            throw APIError(.unprocessableContent, "peer_out_of_scope", problem)
        }
        return try await requireNetwork().connect(to: address)
    }

    /// Why a connect request through the API may not dial `address`, or nil.
    static func connectScopeProblem(_ address: String, network: Network, allowRemote: Bool) -> String? {
        guard DialPolicy(network: network, allowRemote: allowRemote).scope == .loopback,
            let host = P2PConfiguration.parse(address)?.host, !DialPolicy.isLoopback(host)
        else { return nil }
        return "a dev node dials only loopback addresses (127.0.0.0/8, ::1); start it with --allow-remote-peers to dial \(host)"
    }

    /// Closes connections to `address` (a node that dials out may dial it again later).
    public func disconnectPeer(_ address: String) throws -> Int { try requireNetwork().disconnect(address: address) }

    /// `keel network verify`.
    public func verifyNetwork() async throws -> [API.VerifyStep] {
        try await requireNetwork().verify()
    }
}

extension Node {
    /// What the progress line reports; nil while the chain is not loaded (a reindex).
    func progressSnapshot() -> NodeProgress.Snapshot? {
        guard let chain else { return nil }
        let peers = p2pNetwork?.peers() ?? []
        let inbound = peers.count(where: { $0.direction == "inbound" })
        return NodeProgress.Snapshot(
            height: chain.tip.height, bestPeerHeight: p2pNetwork?.bestPeerHeight() ?? 0,
            inbound: inbound, outbound: peers.count - inbound, mempool: chain.mempoolSize.count)
    }
}
