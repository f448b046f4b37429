import Yams

/// One mapping of the YAML document, remembering which keys were read so that `finish()` can
/// name the ones nobody asked for.
struct Section {
    let path: String
    let mapping: Yams.Node.Mapping
    private let read = Box()

    final class Box { var keys = Set<String>() }

    init(path: String, node: Yams.Node) throws {
        guard let mapping = node.mapping else {
            throw SidecarError(.configuration, "\(path.isEmpty ? "the document" : "'\(path)'") must be a mapping of fields")
        }
        self.path = path
        self.mapping = mapping
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    private func value(_ key: String) -> Yams.Node? {
        read.keys.insert(key)
        guard let node = mapping[key] else { return nil }
        if node.null != nil { return nil }
        return node
    }

    func sections(_ key: String) throws -> [Section]? {
        guard let node = value(key) else { return nil }
        guard let sequence = node.sequence else { throw SidecarError(.configuration, "\(name(key)) must be a list") }
        return try sequence.enumerated().map { try Section(path: "\(name(key))[\($0.offset)]", node: $0.element) }
    }

    /// Every key of this mapping, marked read (the caller validates them).
    func keys() throws -> [String] {
        try mapping.map { key, _ in
            guard let text = key.string else { throw SidecarError(.configuration, "a key in \(path) is not text") }
            return text
        }
    }

    func section(_ key: String) throws -> Section? {
        guard let node = value(key) else { return nil }
        return try Section(path: name(key), node: node)
    }

    func string(_ key: String) throws -> String? {
        guard let node = value(key) else { return nil }
        guard node.scalar != nil, let text = node.string else { throw SidecarError(.configuration, "\(name(key)) must be text") }
        return text
    }

    func strings(_ key: String) throws -> [String]? {
        guard let node = value(key) else { return nil }
        guard let sequence = node.sequence else { throw SidecarError(.configuration, "\(name(key)) must be a list") }
        return try sequence.map { item in
            guard item.scalar != nil, let text = item.string else { throw SidecarError(.configuration, "\(name(key)) must be a list of text") }
            return text
        }
    }

    func stringMap(_ key: String) throws -> [String: String]? {
        guard let node = value(key) else { return nil }
        guard let map = node.mapping else { throw SidecarError(.configuration, "\(name(key)) must be a mapping") }
        var result = [String: String]()
        for (k, v) in map {
            guard let name = k.string, let text = v.string else { throw SidecarError(.configuration, "\(self.name(key)) must map text to text") }
            result[name] = text
        }
        return result
    }

    func bool(_ key: String) throws -> Bool? {
        guard let node = value(key) else { return nil }
        guard let flag = node.bool else { throw SidecarError(.configuration, "\(name(key)) must be true or false") }
        return flag
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let node = value(key) else { return nil }
        guard let number = node.int, range.contains(number) else {
            throw SidecarError(.configuration, "\(name(key)) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func double(_ key: String) throws -> Double? {
        guard let node = value(key) else { return nil }
        guard let number = node.float ?? node.int.map(Double.init), number.isFinite else {
            throw SidecarError(.configuration, "\(name(key)) must be a number")
        }
        return number
    }

    func duration(_ key: String, positive: Bool = false) throws -> Double? {
        guard let node = value(key) else { return nil }
        guard let text = node.string, let seconds = SidecarDuration.seconds(text), !positive || seconds > 0 else {
            throw SidecarError(.configuration, "\(name(key)) must be a duration like 500ms, 5s, 10m, 1h or 7d\(positive ? " (above zero)" : "")")
        }
        return seconds
    }

    /// Fails on any key that was never read: a misspelt field must not become a default.
    func finish() throws {
        let known = read.keys
        for (key, _) in mapping {
            guard let text = key.string else { throw SidecarError(.configuration, "a key in \(path.isEmpty ? "the document" : path) is not text") }
            if !known.contains(text) {
                throw SidecarError(.configuration, "unknown field '\(name(text))' (fields here: \(known.sorted().joined(separator: ", ")))")
            }
        }
    }
}
