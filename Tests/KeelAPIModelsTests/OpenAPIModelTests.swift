import Foundation
import KeelAPIModels
import KeelCore
import Testing

/// The OpenAPI document and the API's model types must describe the same bodies: each route's
/// request and response, encoded as the server encodes them, is checked field by field against
/// the document's schema (names, types, enums, required fields, and no field missing from either).
@Suite("OpenAPI document against the API models")
struct OpenAPIModelTests {
    static let schema: OpenAPISchema = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("openapi/keel-node.json").path
        // A missing or malformed document fails every test below with this message.
        let data = FileManager.default.contents(atPath: path) ?? Data("{}".utf8)
        return OpenAPISchema(document: (try? JSONDecoder().decode(JSONValue.self, from: data)) ?? .null)
    }()

    /// A body as the server writes it, read back as plain JSON.
    static func encoded(_ value: some Encodable) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: API.jsonEncoder().encode(value))
    }

    func operation(_ route: String) throws -> JSONValue {
        let parts = route.split(separator: " ")
        let operation = Self.schema.document["paths"]?[String(parts[1])]?[parts[0].lowercased()]
        return try #require(operation, "\(route) is not in the document")
    }

    @Test("every JSON route's 200 body matches its model", arguments: Samples.responses.keys.sorted())
    func response(_ route: String) throws {
        let body = try #require(Samples.responses[route])
        let schema = try #require(try operation(route)["responses"]?["200"]?["content"]?["application/json"]?["schema"])
        let problems = Self.schema.problems(try Self.encoded(body), schema)
        #expect(problems.isEmpty, "\(route):\n\(problems.joined(separator: "\n"))")
    }

    @Test("every JSON request body matches its model", arguments: Samples.requests.keys.sorted())
    func request(_ route: String) throws {
        let body = try #require(Samples.requests[route])
        let schema = try #require(try operation(route)["requestBody"]?["content"]?["application/json"]?["schema"])
        let problems = Self.schema.problems(try Self.encoded(body), schema)
        #expect(problems.isEmpty, "\(route):\n\(problems.joined(separator: "\n"))")
    }

    @Test("the error body matches the document's Error schema")
    func errorBody() throws {
        let body = API.ErrorBody(code: "bad_address", message: "not an address", details: ["phase": "running"])
        let problems = Self.schema.problems(try Self.encoded(body), .object(["$ref": .string("#/components/schemas/Error")]))
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test("every documented JSON route has a model sample here, and every documented request body too")
    func coverage() throws {
        guard case .object(let paths)? = Self.schema.document["paths"] else {
            Issue.record("the document has no paths")
            return
        }
        var answers = Set<String>(), takes = Set<String>()
        for (path, operations) in paths {
            guard case .object(let byMethod) = operations else { continue }
            for (method, operation) in byMethod {
                let route = "\(method.uppercased()) \(path)"
                if operation["responses"]?["200"]?["content"]?["application/json"] != nil { answers.insert(route) }
                if operation["requestBody"]?["content"]?["application/json"] != nil { takes.insert(route) }
            }
        }
        #expect(answers == Set(Samples.responses.keys))
        #expect(takes == Set(Samples.requests.keys))
    }

    @Test("the checker finds a field the document lacks, a wrong type and a bad enum value")
    func checkerCatches() throws {
        let schema = JSONValue.object([
            "type": .string("object"), "required": .array([.string("status")]),
            "properties": .object([
                "status": .object(["type": .string("string"), "enum": .array([.string("ok")])]),
                "height": .object(["type": .string("integer")]),
            ]),
        ])
        let value = JSONValue.object(["status": .string("broken"), "height": .string("7"), "extra": .bool(true)])
        let problems = Self.schema.problems(value, schema)
        #expect(problems.count == 3, "\(problems)")
        #expect(Self.schema.problems(.object([:]), schema).count == 3)
    }
}
