import Foundation
import Hummingbird
import KeelChain
import KeelCore
import KeelStorage

/// Turns every error into the JSON error shape with the right status, and reports each
/// request's route template, status and duration (for `keel_api_*` metrics).
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = KeelRequestContext
    /// The routes this router serves (`METHOD /path`): a request for one of their paths with
    /// another method is answered 405 with `Allow`, not 404.
    let routes: [String]
    let observe: @Sendable (_ route: String, _ status: Int, _ seconds: Double) -> Void

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = MonotonicTime.now()
        // The route template, as in `APIRouter.routes`; anything unrouted shares one label so the
        // label set stays bounded whatever paths clients try.
        let path = context.endpointPath
        let route = path == nil || path == "NotFound" ? APIRouter.unmatchedRoute : "\(request.method.rawValue) \(path!)"
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError
            where error.status == .notFound && route == APIRouter.unmatchedRoute
            && !APIRouter.methods(at: request.uri.path, in: routes).isEmpty
        {
            let allowed = APIRouter.methods(at: request.uri.path, in: routes)
            var refusal = APIError(
                .methodNotAllowed, "method_not_allowed",
                "\(request.uri.path) does not take \(request.method.rawValue); it takes \(allowed.joined(separator: ", "))")
            refusal.allow = allowed
            response = try refusal.response(from: request, context: context)
        } catch {
            response = try ErrorMiddleware.map(error).response(from: request, context: context)
        }
        observe(route, Int(response.status.code), MonotonicTime.seconds(since: started))
        return response
    }

    /// The API error for anything a handler throws. Unknown errors become a 500 whose message
    /// says nothing about internals.
    static func map(_ error: any Error) -> APIError {
        switch error {
        case let api as APIError:
            return api
        case let consensus as ConsensusError:
            return APIError(.unprocessableContent, consensus.code.rawValue, consensus.message)
        case let chain as ChainError:
            switch chain.code {
            case .alreadyKnown, .mempoolConflict, .knownInvalid:
                return APIError(.conflict, chain.code.rawValue, chain.message)
            case .mempoolFull:
                return APIError(.serviceUnavailable, chain.code.rawValue, chain.message)
            case .notFound:
                return APIError(.notFound, chain.code.rawValue, chain.message)
            default:
                if let storage = chain.cause as? StorageError { return map(storage) }
                return APIError(.internalServerError, "internal", "the node could not complete the request")
            }
        case let storage as StorageError where storage.code == .noSpace || storage.code == .io:
            // Writes are paused (disk full, I/O errors): the node says so on /ready too.
            return APIError(.serviceUnavailable, "storage_unavailable", "the node cannot write to its store: \(storage.message)")
        case is Swift.DecodingError:
            return APIError(.badRequest, "bad_json", "the request body is not the JSON this route expects")
        case let http as any HTTPResponseError:
            // Hummingbird's own errors: body decoding (400), body too large (413), no route (404).
            switch http.status {
            case .contentTooLarge:
                return APIError(.contentTooLarge, "payload_too_large", "the request body is larger than the node accepts")
            case .badRequest:
                return APIError(.badRequest, "bad_json", "the request body is not the JSON this route expects")
            default:
                return APIError(http.status, "http_\(http.status.code)", http.status.reasonPhrase)
            }
        default:
            return APIError(.internalServerError, "internal", "the node could not complete the request")
        }
    }
}

/// Requires `Authorization: Bearer <token>` on routes that change state. The comparison takes
/// the same time whatever the token, and no token ever reaches a response or a log.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = KeelRequestContext
    let token: [UInt8]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw APIError(.unauthorized, "unauthorized", "this route needs 'Authorization: Bearer <token>'; the token is in DATA_DIR/api.token")
        }
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), ConstantTime.equal(Array(header.dropFirst(prefix.count).utf8), token) else {
            throw APIError(.unauthorized, "unauthorized", "the bearer token is not this node's token (see DATA_DIR/api.token)")
        }
        return try await next(request, context)
    }
}

/// Refuses requests whose `Host` the allow list does not name (403), before any route runs.
struct HostMiddleware: RouterMiddleware {
    typealias Context = KeelRequestContext
    let allowed: HostAllowList

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let host = request.head.authority
        guard allowed.allows(host) else {
            throw APIError(
                .forbidden, "host_not_allowed",
                "the API does not answer requests for host '\(host ?? "")'; start the node with --api-allow-host NAME to allow it")
        }
        return try await next(request, context)
    }
}
