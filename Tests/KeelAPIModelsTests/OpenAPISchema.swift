/// The OpenAPI document's schemas, as a checker of JSON values: every field a value carries is
/// documented with its type, every documented field is there, every required one too.
struct OpenAPISchema {
    let document: JSONValue

    /// `#/components/schemas/X` resolved; any other schema as it is.
    func resolve(_ schema: JSONValue) -> JSONValue {
        guard let reference = schema["$ref"]?.string else { return schema }
        var node = document
        for part in reference.dropFirst(2).split(separator: "/") { node = node[String(part)] ?? .null }
        return node
    }

    /// What is wrong with `value` as an instance of `schema`, each problem with its JSON path.
    /// `complete` asks that every documented property be present: the samples fill every field.
    func problems(_ value: JSONValue, _ schema: JSONValue, at path: String = "$", complete: Bool = true) -> [String] {
        let schema = resolve(schema)
        switch (schema["type"]?.string, value) {
        case ("object", .object(let fields)):
            return objectProblems(fields, schema, at: path, complete: complete)
        case ("array", .array(let items)):
            guard let itemSchema = schema["items"] else { return [] }
            return items.enumerated().flatMap { problems($0.element, itemSchema, at: "\(path)[\($0.offset)]", complete: complete) }
        case ("string", .string(let text)):
            let allowed = schema["enum"]?.strings ?? []
            return allowed.isEmpty || allowed.contains(text) ? [] : ["\(path): '\(text)' is not one of \(allowed)"]
        case ("integer", .number(let n)):
            return n.rounded() == n ? [] : ["\(path): \(n) is not an integer"]
        case ("number", .number), ("boolean", .bool):
            return []
        case (nil, _):
            return []
        case (let type?, let other):
            return ["\(path): documented as \(type), encoded as \(other)"]
        }
    }

    private func objectProblems(_ fields: [String: JSONValue], _ schema: JSONValue, at path: String, complete: Bool) -> [String] {
        guard case .object(let properties)? = schema["properties"] else { return [] }
        var found = [String]()
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            guard let property = properties[key] else {
                found.append("\(path).\(key): encoded but not documented")
                continue
            }
            found += problems(value, property, at: "\(path).\(key)", complete: complete)
        }
        for key in schema["required"]?.strings ?? [] where fields[key] == nil {
            found.append("\(path).\(key): required by the document, not encoded")
        }
        if complete {
            for key in properties.keys.sorted() where fields[key] == nil {
                found.append("\(path).\(key): documented, but the model has no such field")
            }
        }
        return found
    }
}
