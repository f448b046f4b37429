#if canImport(Glibc)
    import Glibc
#endif

/// Which of RocksDB's files an error names, so that a refused open can tell the operator what
/// is damaged: RocksDB's status text names the file for table, MANIFEST and CURRENT damage, but
/// only describes a damaged write-ahead log ("checksum mismatch", "bad record length").
public struct StoreDamage: Sendable, Equatable, CustomStringConvertible {
    /// The kind of file.
    public enum Kind: String, Sendable {
        /// `NNNNNN.log`: the write-ahead log, writes not yet flushed into tables.
        case writeAheadLog = "write-ahead log"
        /// `NNNNNN.sst`: a table file.
        case table = "table file"
        /// `MANIFEST-NNNNNN`: the list of table files.
        case manifest = "MANIFEST"
        /// `CURRENT`: names the live MANIFEST.
        case current = "CURRENT"
        /// `OPTIONS-NNNNNN`.
        case options = "OPTIONS file"
        /// The text names no file Keel recognises.
        case unknown = "file"
    }

    /// The kind of file.
    public let kind: Kind
    /// The file's name within the database directory, when known.
    public let file: String?

    /// `write-ahead log 000012.log`.
    public var description: String { file.map { "\(kind.rawValue) \($0)" } ?? kind.rawValue }

    /// Whether a roll-back to the intact prefix can get past it (WAL damage) or RocksDB's repair
    /// can rebuild it from the tables (MANIFEST, CURRENT); table damage needs a backup or reindex.
    public var isRecoverable: Bool { kind != .table && kind != .unknown }

    /// The damage `text` (a RocksDB status) describes, in the database at `path`; nil when the
    /// text is not about damage.
    public static func classify(_ text: String, path: String) -> StoreDamage? {
        let damaged = text.hasPrefix("Corruption") || text.contains("No such file") || text.contains("does not exist")
        guard damaged else { return nil }
        func match(_ pattern: String) -> String? {
            var regex = regex_t()
            guard regcomp(&regex, pattern, REG_EXTENDED) == 0 else { return nil }
            defer { regfree(&regex) }
            var found = regmatch_t()
            guard regexec(&regex, text, 1, &found, 0) == 0 else { return nil }
            let utf8 = Array(text.utf8)
            return String(decoding: utf8[Int(found.rm_so)..<Int(found.rm_eo)], as: UTF8.self)
        }
        // A table's damage can also name the MANIFEST that lists it: the table comes first.
        if let table = match("[0-9]+\\.(sst|ldb)") { return StoreDamage(kind: .table, file: table) }
        if let manifest = match("MANIFEST-[0-9]+") { return StoreDamage(kind: .manifest, file: manifest) }
        if text.contains("CURRENT") { return StoreDamage(kind: .current, file: "CURRENT") }
        if let options = match("OPTIONS-[0-9]+") { return StoreDamage(kind: .options, file: options) }
        if let log = match("[0-9]+\\.log") { return StoreDamage(kind: .writeAheadLog, file: log) }
        let logPhrases = ["WAL", "log number", "checksum mismatch", "bad record length", "truncated record body", "bad record type"]
        if logPhrases.contains(where: text.contains) {
            return StoreDamage(kind: .writeAheadLog, file: newestLog(in: path))
        }
        return StoreDamage(kind: .unknown, file: nil)
    }

    /// The name of the newest non-empty `.log` file in `path`, if any.
    static func newestLog(in path: String) -> String? {
        DatabaseFiles.list(path).filter { $0.hasSuffix(".log") && DatabaseFiles.size(path + "/" + $0) > 0 }.max()
    }
}

/// Looks at a database directory's files without opening it.
enum DatabaseFiles {
    /// The names in `path` (empty when it is missing).
    static func list(_ path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names = [String]()
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The size of the file at `path` (0 when it cannot be read).
    static func size(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Whether `path` holds a database's data (tables, logs or a MANIFEST): a directory like that
    /// without CURRENT is damaged, and must not be initialised afresh (RocksDB would then delete
    /// every table it holds).
    static func holdsData(_ path: String) -> Bool {
        list(path).contains { $0.hasSuffix(".sst") || $0.hasSuffix(".ldb") || $0.hasPrefix("MANIFEST-") || ($0.hasSuffix(".log") && $0 != "LOG") }
    }

    /// Whether `path` has a CURRENT file.
    static func hasCurrent(_ path: String) -> Bool { access(path + "/CURRENT", F_OK) == 0 }
}
