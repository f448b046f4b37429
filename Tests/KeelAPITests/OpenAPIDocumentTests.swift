import Foundation
import Hummingbird
import HummingbirdTesting
import KeelAPI
import KeelTesting
import Testing

/// The OpenAPI document in the repository and the server must describe the same routes.
@Suite("OpenAPI document", .keepsArtifacts)
struct OpenAPIDocumentTests {
    static var documentPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("openapi/keel-node.json").path
    }

    static func documentedRoutes() throws -> Set<String> {
        let data = try Data(contentsOf: URL(fileURLWithPath: documentPath))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        return Set(paths.flatMap { path, operations in operations.keys.map { "\($0.uppercased()) \(path)" } })
    }

    @Test("every route the server registers is documented, and nothing else is")
    func sameRoutes() async throws {
        let chain = try TestChain()
        let router = APIRouter.make(backend: TestBackend(chain), token: "t")
        let registered = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(registered == Set(APIRouter.routes))
        #expect(try Self.documentedRoutes() == registered)
    }

    @Test("every documented route answers (no route-not-found)")
    func everyRouteAnswers() async throws {
        let documented = try Self.documentedRoutes()
        try await withAPI { client, _, token in
            for route in documented.sorted() {
                let parts = route.split(separator: " ")
                let path = String(parts[1])
                    .replacingOccurrences(of: "{id}", with: "1")
                    .replacingOccurrences(of: "{txid}", with: String(repeating: "ab", count: 32))
                    .replacingOccurrences(of: "{address}", with: "tkeel1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq")
                let method: HTTPRequest.Method = parts[0] == "GET" ? .get : .post
                try await client.execute(uri: path, method: method, headers: bearer(token), body: method == .post ? hexBody("") : nil) { r in
                    #expect(r.errorCode != "http_404", "\(route) is documented but not served")
                }
            }
        }
    }
}
