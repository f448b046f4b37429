import Foundation
import Hummingbird
import KeelAPIModels

/// An API failure, answered as `{"error":{"code","message","details"}}` with its status.
/// Messages and details never carry secrets (keys, tokens, passphrases).
public struct APIError: HTTPResponseError, Sendable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// A stable code, e.g. `bad_address`, `unauthorized`, or a consensus rule's code.
    public let code: String
    /// What was wrong, for people.
    public let message: String
    /// Extra facts (never secrets).
    public let details: [String: String]
    /// For a 405: the methods the path does accept (the `Allow` header).
    public var allow: [String] = []

    /// `code` is stable (clients match it); `details` must never carry a secret.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, details: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
    }

    /// The JSON error response.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try API.jsonEncoder().encode(API.ErrorBody(code: code, message: message, details: details))
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"keel\"" }
        if !allow.isEmpty { headers[.allow] = allow.joined(separator: ", ") }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// 400 for a malformed request.
    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code, message) }
    /// 404 for something the node does not have.
    static func notFound(_ code: String, _ message: String) -> APIError { APIError(.notFound, code, message) }
    /// 503 while the chain is not loaded.
    static func notReady(_ phase: String) -> APIError {
        APIError(.serviceUnavailable, "not_ready", "the node is \(phase); try again shortly", details: ["phase": phase])
    }
}
