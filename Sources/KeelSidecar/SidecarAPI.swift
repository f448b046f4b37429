import Foundation
import Hummingbird
import KeelCore
import Logging

/// The sidecar's own HTTP surface (127.0.0.1:9335 by default): the status page at `/` and the
/// soak reports at `/soaks/` (`SidecarAPI+Pages.swift`), `/health`, `/metrics`, and `/logs`
/// (the node's last lines, redacted).
public enum SidecarAPI {
    struct HealthJSON: ResponseEncodable {
        let status: String
        let phase: String
        let nodePid: Int32?
        let nodeHealthy: Bool
        let restarts: Int
        let lastExit: String?
        let alertsFiring: [String]
        let outboxDepth: Int
    }

    /// The sidecar's routes: the pages, `/health`, `/metrics` and `/logs` (redacted).
    public static func router(sidecar: Sidecar) -> Router<BasicRequestContext> {
        let router = Router()
        addPages(to: router, sidecar: sidecar)
        let supervisor = sidecar.supervisor
        let redactor = sidecar.redactor
        router.get("/health") { _, context -> Response in
            let s = supervisor.status
            let body = HealthJSON(
                status: s.phase == .suspended ? "degraded" : "ok", phase: s.phase.rawValue, nodePid: s.pid,
                nodeHealthy: s.healthy, restarts: s.restarts, lastExit: s.lastExit.map { sidecar.redactor().redact($0) },
                alertsFiring: sidecar.evaluator.firing.sorted(), outboxDepth: sidecar.dispatcher.outbox.depth)
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            var response = Response(
                status: s.phase == .suspended ? .serviceUnavailable : .ok,
                body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(body))))
            response.headers[.contentType] = "application/json; charset=utf-8"
            return response
        }
        router.get("/metrics") { _, _ -> Response in
            var response = Response(
                status: .ok,
                body: .init(
                    byteBuffer: ByteBuffer(
                        bytes: supervisor.metrics.render(
                            stdout: supervisor.stdout, stderr: supervisor.stderr, reapedCount: supervisor.reapedCount))))
            response.headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return response
        }
        router.get("/logs") { request, _ -> Response in
            if let token = sidecar.configuration.logsToken {
                // The token itself never reaches a response.
                guard ConstantTime.equal(Array((request.headers[.authorization] ?? "").utf8), Array("Bearer \(token)".utf8)) else {
                    var response = Response(
                        status: .unauthorized,
                        body: .init(
                            byteBuffer: ByteBuffer(
                                string: "/logs needs 'Authorization: Bearer <token>' with the token from logs.token_file (keel-sidecar logs --token-file)\n")))
                    response.headers[.wwwAuthenticate] = "Bearer realm=\"keel-sidecar\""
                    return response
                }
            }
            let query = request.uri.queryParameters
            let count = query["lines"].flatMap { Int(String($0)) }.map { max(1, min($0, supervisor.configuration.logLines)) }
            let stream = query["stream"].map(String.init) ?? "both"
            guard ["both", "stdout", "stderr"].contains(stream) else {
                throw HTTPError(.badRequest, message: "stream must be stdout, stderr or both")
            }
            let r = redactor()
            var text = ""
            if stream != "stderr" { text += supervisor.stdout.lines(last: count).map { r.redact($0) + "\n" }.joined() }
            if stream == "both" { text += "--- stderr ---\n" }
            if stream != "stdout" { text += supervisor.stderr.lines(last: count).map { r.redact($0) + "\n" }.joined() }
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: text)))
            response.headers[.contentType] = "text/plain; charset=utf-8"
            return response
        }
        return router
    }
}
