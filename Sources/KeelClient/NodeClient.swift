import Foundation

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

    // MARK: - Replies

    /// An amount: integer units and the 8-decimal string.
    public struct Amount: Decodable, Sendable, Equatable {
        /// Base units.
        public let units: UInt64
        /// `226.62500000`.
        public let decimal: String
    }

    /// `GET /v1/mining`.
    public struct Mining: Decodable, Sendable {
        /// Whether workers run.
        public let active: Bool
        /// Worker threads.
        public let threads: Int
        /// Hashes since start.
        public let hashesTotal: UInt64
        /// Coinbase address.
        public let payTo: String?
    }

    /// `GET /v1/status`.
    public struct Status: Decodable, Sendable {
        /// Mempool size.
        public struct Mempool: Decodable, Sendable {
            /// Transactions.
            public let transactions: Int
            /// Bytes.
            public let bytes: Int
        }
        /// Network name.
        public let network: String
        /// Node version.
        public let version: String
        /// starting, reindexing, running, stopping.
        public let phase: String
        /// Tip height.
        public let height: UInt64
        /// Tip hash.
        public let tip: String
        /// Tip timestamp (ms).
        public let tipTimestamp: UInt64
        /// Connected peers.
        public let peers: Int
        /// Mempool.
        public let mempool: Mempool
        /// Miner.
        public let mining: Mining
    }

    /// `GET /v1/addresses/{a}/balance`.
    public struct Balance: Decodable, Sendable {
        /// Normalized address.
        public let address: String
        /// Total.
        public let balance: Amount
        /// Unspent outputs.
        public let utxoCount: Int
    }

    /// One unspent output.
    public struct UTXO: Decodable, Sendable {
        /// Transaction id.
        public let txid: String
        /// Output index.
        public let index: UInt32
        /// Amount.
        public let amount: Amount
        /// Creating block height.
        public let height: UInt64
        /// From a coinbase.
        public let coinbase: Bool
        /// Mature (or not a coinbase).
        public let spendable: Bool
        /// Already spent by a transaction waiting in the mempool.
        public let spentInMempool: Bool
    }

    /// A page of UTXOs.
    public struct UTXOPage: Decodable, Sendable {
        /// Normalized address.
        public let address: String
        /// The outputs.
        public let utxos: [UTXO]
        /// Cursor for the next page.
        public let next: String?
    }

    /// `POST /v1/mining/stop`.
    public struct Stopped: Decodable, Sendable {
        /// State after the stop.
        public let mining: Mining
        /// Seconds the stop took.
        public let stopSeconds: Double
    }

    struct Txid: Decodable { let txid: String }
    struct ErrorBody: Decodable {
        struct Inner: Decodable { let code: String; let message: String }
        let error: Inner
    }

    // MARK: - Calls

    /// Node status.
    public func status() throws -> Status { try call("GET", "/v1/status") }
    /// Miner state.
    public func mining() throws -> Mining { try call("GET", "/v1/mining") }
    /// Starts mining with `threads` workers.
    public func startMining(threads: Int) throws -> Mining { try call("POST", "/v1/mining/start", json: ["threads": threads], auth: true) }
    /// Stops mining; returns once every worker has exited.
    public func stopMining() throws -> Stopped { try call("POST", "/v1/mining/stop", auth: true) }
    /// Balance of an address.
    public func balance(_ address: String) throws -> Balance { try call("GET", "/v1/addresses/\(address)/balance") }
    /// One page of an address's unspent outputs.
    public func utxos(_ address: String, after: String? = nil, limit: Int = 1_000) throws -> UTXOPage {
        try call("GET", "/v1/addresses/\(address)/utxos?limit=\(limit)" + (after.map { "&after=\($0)" } ?? ""))
    }
    /// Every unspent output of an address, following the pages to the end.
    public func allUTXOs(_ address: String) throws -> [UTXO] {
        var found = [UTXO]()
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
        let reply: Txid = try call("POST", "/v1/transactions", json: ["hex": hex], auth: true)
        return reply.txid
    }
    /// What the node did with a submitted block.
    public struct SubmittedBlock: Decodable, Sendable {
        /// The block's hash.
        public let hash: String
        /// Its height.
        public let height: UInt64
        /// `connected`, `side_branch` or `duplicate`.
        public let status: String
    }

    /// Submits a block (hex) as a miner or a relay would.
    public func submitBlock(hex: String) throws -> SubmittedBlock { try call("POST", "/v1/mining/submit", json: ["hex": hex], auth: true) }

    /// The raw JSON of any GET route (for `--json` output and tests).
    public func raw(_ path: String) throws -> HTTPClient.Response { try http.request("GET", endpoint.baseURL + path) }
    /// The Prometheus exposition.
    public func metrics() throws -> String { try raw("/metrics").text }

    func call<T: Decodable>(_ method: String, _ path: String, json: [String: Any]? = nil, body raw: [UInt8]? = nil, auth: Bool = false) throws -> T {
        var headers = [String: String]()
        if auth {
            guard let token = endpoint.token else {
                throw ClientError(.configuration, "this needs the node's API token: pass --data-dir (for DATA_DIR/api.token) or --token-file")
            }
            headers["Authorization"] = "Bearer \(token)"
        }
        let body = try raw ?? json.map { Array(try JSONSerialization.data(withJSONObject: $0)) } ?? (method == "POST" ? Array("{}".utf8) : nil)
        let response: HTTPClient.Response
        do {
            response = try http.request(method, endpoint.baseURL + path, headers: headers, body: body)
        } catch let error as ClientError {
            throw ClientError(error.code, "cannot reach the node at \(endpoint.baseURL) (is it running?): \(error.message)", cause: error.cause)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard (200..<300).contains(response.status) else {
            let failure: ErrorBody
            do { failure = try decoder.decode(ErrorBody.self, from: Data(response.body)) } catch {
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
    /// What `backup(to:)` wrote.
    public struct Backup: Decodable, Sendable {
        /// The backup's directory.
        public let path: String
        /// Its network.
        public let network: String
        /// The copy's tip height.
        public let height: UInt64
        /// The copy's tip hash.
        public let tip: String
        /// The copy's UTXO set hash.
        public let utxoHash: String
        /// Whether the miner key was copied.
        public let minerKey: Bool
    }

    /// Asks the node for an online backup into `directory` (absolute, new, on the node's machine).
    public func backup(to directory: String) throws -> Backup { try call("POST", "/v1/backup", json: ["to": directory], auth: true) }
}
