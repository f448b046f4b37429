import Hummingbird
import KeelAPIModels

extension Handlers {
    func importPeers(_ bundle: API.PeerBundle) throws -> API.PeerImport {
        guard bundle.format == API.PeerBundle.currentFormat else {
            throw APIError.badRequest("bad_bundle", "bundle format '\(bundle.format.prefix(40))' is not \(API.PeerBundle.currentFormat)")
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

    func connectPeer(_ body: API.PeerAddressBody) async throws -> API.Connected {
        guard Handlers.isHostPort(body.address) else {
            throw APIError.badRequest("bad_peer_address", "'\(body.address.prefix(80))' is not HOST:PORT")
        }
        let connected = try await backend.connectPeer(body.address)
        return API.Connected(
            address: body.address, connected: connected,
            error: connected ? nil : "could not complete a handshake with \(body.address) within the connect timeout")
    }

    func disconnectPeer(_ body: API.PeerAddressBody) throws -> API.Disconnected {
        guard Handlers.isHostPort(body.address) else {
            throw APIError.badRequest("bad_peer_address", "'\(body.address.prefix(80))' is not HOST:PORT")
        }
        return API.Disconnected(address: body.address, closed: try backend.disconnectPeer(body.address))
    }

    static func isHostPort(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port != 0 else { return false }
        return colon > text.startIndex && text.count <= 262
    }
}
