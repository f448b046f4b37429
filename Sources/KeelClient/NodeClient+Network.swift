import Foundation
import KeelAPIModels

extension NodeClient {
    /// Closes the node's connections to `address`; returns how many it closed.
    public func disconnect(_ address: String) throws -> Int {
        try (call("POST", "/v1/peers/disconnect", API.PeerAddressBody(address: address)) as API.Disconnected).closed
    }
    /// Connected peers.
    public func peers() throws -> [API.Peer] { try (call("GET", "/v1/peers") as API.Peers).peers }
    /// The P2P health report.
    public func networkHealth() throws -> API.NetworkHealth { try call("GET", "/v1/network/health") }
    /// Runs the discovery checks (takes up to the node's connect timeout).
    public func verifyNetwork() throws -> API.Verification { try call("POST", "/v1/network/verify", auth: true) }
    /// The peer bundle, as the JSON text the node wrote.
    public func exportPeers() throws -> String {
        let response = try raw("/v1/peers/export")
        guard response.status == 200 else { throw ClientError(.api, "the node answered \(response.status)", status: response.status) }
        return response.text
    }
    /// Imports a bundle (its JSON bytes, as exported).
    public func importPeers(bundle: [UInt8]) throws -> API.PeerImport { try call("POST", "/v1/peers/import", body: bundle, auth: true) }
    /// Dials `address` now; true once the handshake completed, false when the peer did not
    /// answer within the node's connect timeout.
    public func connect(_ address: String) throws -> Bool {
        try (call("POST", "/v1/peers/connect", API.PeerAddressBody(address: address)) as API.Connected).connected
    }
}
