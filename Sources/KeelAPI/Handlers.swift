import Foundation
import Hummingbird
import KeelAPIModels
import KeelChain
import KeelCore
import KeelStorage

/// The route handlers, over a `NodeBackend`.
struct Handlers<Backend: NodeBackend>: Sendable {
    let backend: Backend
    var network: Network { backend.network }

    /// The chain, or 503 while the node starts or reindexes.
    func chain() throws -> ChainState {
        guard let chain = backend.chain else { throw APIError.notReady(backend.phase) }
        return chain
    }

    func health() throws -> API.Health {
        guard backend.isStoreOpen else {
            throw APIError(.serviceUnavailable, "store_closed", "the database is not open", details: ["phase": backend.phase])
        }
        return API.Health(status: "ok", phase: backend.phase)
    }

    func ready(_ request: Request, _ context: KeelRequestContext) throws -> Response {
        let reasons = backend.readinessFailures()
        let body = API.Ready(ready: reasons.isEmpty, phase: backend.phase, reasons: reasons)
        var response = try context.responseEncoder.encode(body, from: request, context: context)
        if !reasons.isEmpty { response.status = .serviceUnavailable }
        return response
    }

    func metrics() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: backend.metricsText())))
    }

    func status() throws -> API.Status {
        let chain = try chain()
        let tip = chain.tip
        let pool = chain.mempoolSize
        return API.Status(
            network: network.name, version: backend.version, phase: backend.phase, height: tip.height,
            tip: tip.hash.hex, tipTimestamp: tip.timestamp, peers: backend.peerCount,
            mempool: .init(transactions: pool.count, bytes: pool.bytes),
            mining: backend.miningStatus())
    }

    func mining() -> API.Mining { backend.miningStatus() }

    // MARK: - Parsing

    func address(_ text: String) throws -> Address {
        do { return try Address(parsing: text, network: network) } catch {
            throw APIError.badRequest("bad_address", error.message)
        }
    }

    func hash(_ text: String, what: String) throws -> Hash256 {
        guard let hash = Hash256(hex: text) else {
            throw APIError.badRequest("bad_\(what)", "'\(text.prefix(80))' is not a \(what): expected 64 hex characters")
        }
        return hash
    }

    func decodeHex<T: CanonicalCodable>(_ body: API.HexBody, as type: T.Type, what: String) throws -> T {
        guard let bytes = Hex.decode(body.hex) else {
            throw APIError.badRequest("bad_hex", "the 'hex' field is not hexadecimal")
        }
        do { return try T(decoding: bytes) } catch {
            throw APIError.badRequest("malformed_\(what)", "the \(what) does not decode: \(error)")
        }
    }

    func limit(_ query: Parameters, default value: Int, max: Int) throws -> Int {
        guard let text = query.get("limit") else { return value }
        guard let n = Int(text), n >= 1, n <= max else {
            throw APIError.badRequest("bad_limit", "limit must be a whole number from 1 to \(max)")
        }
        return n
    }
}
