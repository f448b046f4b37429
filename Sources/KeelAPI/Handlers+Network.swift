import Hummingbird

extension Handlers {
    func importPeers(_ bundle: PeerBundleJSON) throws -> PeerImportJSON {
        guard bundle.format == PeerBundleJSON.currentFormat else {
            throw APIError.badRequest("bad_bundle", "bundle format '\(bundle.format.prefix(40))' is not \(PeerBundleJSON.currentFormat)")
        }
        guard bundle.network == network.name, bundle.genesis == network.genesis.hash.hex else {
            throw APIError(
                .conflict, "wrong_network", "the bundle is for the \(bundle.network.prefix(16)) network; this node runs \(network.name)",
                details: ["bundle_network": String(bundle.network.prefix(16)), "node_network": network.name])
        }
        guard bundle.peers.count <= 10_000 else {
            throw APIError.badRequest("bundle_too_large", "a bundle holds at most 10000 addresses, this one \(bundle.peers.count)")
        }
        return try backend.importPeers(bundle)
    }

    func connectPeer(_ body: ConnectBody) async throws -> ConnectJSON {
        guard Handlers.isHostPort(body.address) else {
            throw APIError.badRequest("bad_peer_address", "'\(body.address.prefix(80))' is not HOST:PORT")
        }
        let connected = try await backend.connectPeer(body.address)
        return ConnectJSON(
            address: body.address, connected: connected,
            error: connected ? nil : "could not complete a handshake with \(body.address) within the connect timeout")
    }

    func disconnectPeer(_ body: ConnectBody) throws -> DisconnectJSON {
        guard Handlers.isHostPort(body.address) else {
            throw APIError.badRequest("bad_peer_address", "'\(body.address.prefix(80))' is not HOST:PORT")
        }
        return DisconnectJSON(address: body.address, closed: try backend.disconnectPeer(body.address))
    }

    static func isHostPort(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port != 0 else { return false }
        return colon > text.startIndex && text.count <= 262
    }
}
