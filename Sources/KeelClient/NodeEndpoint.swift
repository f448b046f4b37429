import Foundation
import KeelFiles

/// Where a node's API is and the token for its guarded routes: from flags, or from the data
/// directory (`api.url`, written by the node when it starts listening, and `api.token`).
public struct NodeEndpoint: Sendable {
    /// The base URL, e.g. `http://127.0.0.1:9334`.
    public let baseURL: String
    /// The bearer token, when known (secret: never print it).
    public let token: String?

    /// A trailing slash on `baseURL` is dropped; no token means read-only calls only.
    public init(baseURL: String, token: String?) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
    }

    /// Resolves the endpoint: `api` wins over `DATA_DIR/api.url`; `tokenFile` over
    /// `DATA_DIR/api.token`. Without either address, the default `http://127.0.0.1:9334`.
    /// Files in the data directory may be absent (a node that never started); a file that is
    /// there but cannot be read is an error, as is a `tokenFile` that is not there.
    public static func resolve(dataDirectory: String?, api: String?, tokenFile: String?) throws -> NodeEndpoint {
        func read(_ path: String) throws -> String? {
            do {
                return try TextFile.readIfPresent(path)
            } catch {
                throw ClientError(.configuration, "cannot read \(path)", cause: error)
            }
        }
        let url = try api ?? dataDirectory.flatMap { try read($0 + "/api.url") }
        var token: String?
        if let path = tokenFile ?? dataDirectory.map({ $0 + "/api.token" }) {
            token = try read(path)
            if token == nil, tokenFile != nil {
                throw ClientError(.configuration, "cannot read the token file \(path): there is no such file")
            }
        }
        return NodeEndpoint(baseURL: url ?? "http://127.0.0.1:9334", token: token)
    }
}
