import Foundation
import Hummingbird
import KeelAPIModels
import KeelChain
import KeelCore
import KeelFiles
import KeelStorage

/// Builds the node API's router: open reads, token-guarded changes, health, readiness and
/// `/metrics`. The route list is also the bounded label set of the API metrics.
public enum APIRouter {
    /// Every route template the router registers, as `METHOD /path`.
    public static let routes: [String] = [
        "GET /health", "GET /ready", "GET /metrics",
        "GET /v1/status", "GET /v1/blocks/{id}", "GET /v1/transactions/{txid}",
        "GET /v1/addresses/{address}/balance", "GET /v1/addresses/{address}/utxos",
        "GET /v1/mempool", "GET /v1/mining", "POST /v1/mining/template",
        "POST /v1/transactions", "POST /v1/mining/start", "POST /v1/mining/stop", "POST /v1/mining/submit",
        "GET /v1/peers", "GET /v1/peers/export", "POST /v1/peers/import", "POST /v1/peers/connect", "POST /v1/peers/disconnect", "POST /v1/backup",
        "GET /v1/network/health", "POST /v1/network/verify",
    ]

    /// The methods `routes` serve at `path` (a template segment `{x}` matches any one segment):
    /// what a 405 names in `Allow`.
    public static func methods(at path: String, in routes: [String] = APIRouter.routes) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        var methods = [String]()
        for route in routes {
            let parts = route.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let template = parts[1].split(separator: "/", omittingEmptySubsequences: false)
            guard template.count == segments.count else { continue }
            let matches = zip(template, segments).allSatisfy { t, s in t == s || (t.hasPrefix("{") && t.hasSuffix("}") && !s.isEmpty) }
            if matches, !methods.contains(String(parts[0])) { methods.append(String(parts[0])) }
        }
        return methods
    }

    /// The metrics label of requests that match no route.
    public static let unmatchedRoute = "unmatched"

    /// The router of the metrics-only listener (`--metrics-addr`): `GET /metrics` and nothing
    /// else, so Prometheus on another host can scrape without the API being exposed to it.
    public static func makeMetricsOnly(
        backend: some NodeBackend,
        observe: @escaping @Sendable (String, Int, Double) -> Void = { _, _, _ in }
    ) -> Router<KeelRequestContext> {
        let router = Router(context: KeelRequestContext.self)
        router.add(middleware: ErrorMiddleware(routes: ["GET /metrics"], observe: observe))
        let handlers = Handlers(backend: backend)
        router.get("/metrics") { _, _ in handlers.metrics() }
        return router
    }

    /// The router. `observe` receives every request's route template, status and duration.
    /// `hosts` decides which `Host` headers are answered (a DNS-rebinding page sends its own name).
    public static func make(
        backend: some NodeBackend, token: String, hosts: HostAllowList = HostAllowList(),
        observe: @escaping @Sendable (String, Int, Double) -> Void = { _, _, _ in }
    ) -> Router<KeelRequestContext> {
        let router = Router(context: KeelRequestContext.self)
        router.add(middleware: ErrorMiddleware(routes: APIRouter.routes, observe: observe))
        router.add(middleware: HostMiddleware(allowed: hosts))
        let handlers = Handlers(backend: backend)

        router.get("/health") { _, _ in try handlers.health() }
        router.get("/ready") { request, context in try handlers.ready(request, context) }
        router.get("/metrics") { _, _ in handlers.metrics() }
        let v1 = router.group("/v1")
        v1.get("/status") { _, _ in try handlers.status() }
        v1.get("/blocks/{id}") { _, context in try handlers.block(try context.parameters.require("id")) }
        v1.get("/transactions/{txid}") { _, context in try handlers.transaction(try context.parameters.require("txid")) }
        v1.get("/addresses/{address}/balance") { _, context in try handlers.balance(try context.parameters.require("address")) }
        v1.get("/addresses/{address}/utxos") { request, context in
            try handlers.utxos(try context.parameters.require("address"), query: request.uri.queryParameters)
        }
        v1.get("/mempool") { request, _ in try handlers.mempool(query: request.uri.queryParameters) }
        v1.get("/mining") { _, _ in handlers.mining() }
        v1.get("/peers") { _, _ in API.Peers(peers: try backend.peers()) }
        v1.get("/peers/export") { _, _ in try backend.exportPeers() }
        v1.get("/network/health") { _, _ in try backend.networkHealth() }

        let guarded = v1.group().add(middleware: AuthMiddleware(token: Array(token.utf8)))
        guarded.post("/transactions") { request, context in
            try handlers.submitTransaction(try await request.decode(as: API.HexBody.self, context: context))
        }
        guarded.post("/mining/start") { request, context in
            try handlers.startMining(try await optionalBody(request, context, else: API.MiningStartBody(threads: nil)))
        }
        guarded.post("/mining/stop") { _, _ in handlers.stopMining() }
        // A template replaces the miner's cached one under the chain lock, and verifying sends a
        // dial-back request to a peer: effects, so POST with the token, never a GET.
        guarded.post("/mining/template") { request, context in
            try handlers.template(try await optionalBody(request, context, else: API.TemplateBody(address: nil)))
        }
        guarded.post("/network/verify") { _, _ in
            let steps = try await backend.verifyNetwork()
            return API.Verification(steps: steps)
        }
        guarded.post("/mining/submit") { request, context in
            try handlers.submitBlock(try await request.decode(as: API.HexBody.self, context: context))
        }
        guarded.post("/peers/import") { request, context in
            try handlers.importPeers(try await request.decode(as: API.PeerBundle.self, context: context))
        }
        guarded.post("/peers/connect") { request, context in
            try await handlers.connectPeer(try await request.decode(as: API.PeerAddressBody.self, context: context))
        }
        guarded.post("/peers/disconnect") { request, context in
            try handlers.disconnectPeer(try await request.decode(as: API.PeerAddressBody.self, context: context))
        }
        guarded.post("/backup") { request, context in
            let body = try await request.decode(as: API.BackupBody.self, context: context)
            // A checkpoint flushes and links files: blocking work, kept off the event loop.
            return try await Blocking.run { try handlers.backup(body) }
        }
        return router
    }
}

/// A JSON body that may be left out (`empty` stands in for it), but that must be valid when it
/// is there: `POST /v1/mining/start` with no body starts with the default thread count.
private func optionalBody<T: Decodable>(_ request: Request, _ context: KeelRequestContext, else empty: T) async throws -> T {
    let bytes = try await request.body.collect(upTo: context.maxUploadSize)
    guard bytes.readableBytes > 0 else { return empty }
    return try context.requestDecoder.decode(T.self, from: Data(bytes.readableBytesView))
}
