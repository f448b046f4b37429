import Foundation
import KeelAPIModels

/// The node API, typed: what the CLI, the tests and (later) the sidecar call.
public struct NodeClient: Sendable {
    /// Where the node is.
    public let endpoint: NodeEndpoint
    /// The transport.
    public let http: HTTPClient

    /// A client for `endpoint`.
    public init(endpoint: NodeEndpoint, http: HTTPClient = HTTPClient()) {
        self.endpoint = endpoint
        self.http = http
    }

    // MARK: - Calls

    /// Node status.
    public func status() throws -> API.Status { try call("GET", "/v1/status") }
    /// Miner state.
    public func mining() throws -> API.Mining { try call("GET", "/v1/mining") }
    /// Starts mining with `threads` workers.
    public func startMining(threads: Int) throws -> API.Mining { try call("POST", "/v1/mining/start", API.MiningStartBody(threads: threads)) }
    /// Stops mining; returns once every worker has exited.
    public func stopMining() throws -> API.MiningStopped { try call("POST", "/v1/mining/stop", auth: true) }
    /// Balance of an address.
    public func balance(_ address: String) throws -> API.Balance { try call("GET", "/v1/addresses/\(address)/balance") }
    /// One page of an address's unspent outputs.
    public func utxos(_ address: String, after: String? = nil, limit: Int = 1_000) throws -> API.UTXOPage {
        try call("GET", "/v1/addresses/\(address)/utxos?limit=\(limit)" + (after.map { "&after=\($0)" } ?? ""))
    }
    /// Every unspent output of an address, following the pages to the end.
    public func allUTXOs(_ address: String) throws -> [API.UTXO] {
        var found = [API.UTXO]()
        var cursor: String?
        repeat {
            let page = try utxos(address, after: cursor)
            found += page.utxos
            cursor = page.next
        } while cursor != nil
        return found
    }

    /// Submits a signed transaction (hex); returns its txid.
    public func submitTransaction(hex: String) throws -> String {
        let reply: API.Txid = try call("POST", "/v1/transactions", API.HexBody(hex: hex))
        return reply.txid
    }
    /// Submits a block (hex) as a miner or a relay would.
    public func submitBlock(hex: String) throws -> API.SubmittedBlock { try call("POST", "/v1/mining/submit", API.HexBody(hex: hex)) }

    /// The raw JSON of any GET route (for `--json` output and tests).
    public func raw(_ path: String) throws -> HTTPClient.Response { try http.request("GET", endpoint.baseURL + path) }
    /// The Prometheus exposition.
    public func metrics() throws -> String { try raw("/metrics").text }

    /// A change: `body` is encoded as the API spells it, and the token goes with it.
    func call<T: Decodable>(_ method: String, _ path: String, _ body: some Encodable) throws -> T {
        try call(method, path, body: Array(try API.jsonEncoder().encode(body)), auth: true)
    }

    func call<T: Decodable>(_ method: String, _ path: String, body: [UInt8]? = nil, auth: Bool = false) throws -> T {
        var headers = [String: String]()
        if auth {
            guard let token = endpoint.token else {
                throw ClientError(.configuration, "this needs the node's API token: pass --data-dir (for DATA_DIR/api.token) or --token-file")
            }
            headers["Authorization"] = "Bearer \(token)"
        }
        let response: HTTPClient.Response
        do {
            response = try http.request(method, endpoint.baseURL + path, headers: headers, body: body ?? (method == "POST" ? Array("{}".utf8) : nil))
        } catch let error as ClientError {
            throw ClientError(error.code, "cannot reach the node at \(endpoint.baseURL) (is it running?): \(error.message)", cause: error.cause)
        }
        let decoder = API.jsonDecoder()
        guard (200..<300).contains(response.status) else {
            let failure: API.ErrorBody
            do { failure = try decoder.decode(API.ErrorBody.self, from: Data(response.body)) } catch {
                // Not the API's error shape (a proxy's page, an empty body): the status says it.
                throw ClientError(.api, "the node answered \(response.status)", status: response.status)
            }
            throw ClientError(.api, failure.error.message, apiCode: failure.error.code, status: response.status)
        }
        do { return try decoder.decode(T.self, from: Data(response.body)) } catch {
            throw ClientError(.protocolError, "unexpected answer from \(path): \(error)")
        }
    }
}

extension NodeClient {
    /// Asks the node for an online backup into `directory` (absolute, new, on the node's machine).
    public func backup(to directory: String) throws -> API.Backup { try call("POST", "/v1/backup", API.BackupBody(to: directory)) }
}
