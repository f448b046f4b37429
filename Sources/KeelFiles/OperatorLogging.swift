import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// How Keel's executables log: swift-log's stream handler on a terminal or in a file, and under
/// systemd's journal lines that journald understands: a `<N>` syslog priority first (so
/// `journalctl -p warning` works) and no timestamp of our own (journald keeps its own).
public enum OperatorLogging {
    /// The environment variable that asks for journal lines (`journal`), set by the sidecar for
    /// a node whose output it passes on to the journal.
    public static let formatVariable = "KEEL_LOG_FORMAT"

    /// Whether `fd` is systemd's journal stream: `JOURNAL_STREAM` names its device and inode
    /// (a child that inherited the variable but writes into a pipe is not).
    public static func isJournal(_ fd: Int32, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        if environment[formatVariable] == "journal" { return true }
        guard let stream = environment["JOURNAL_STREAM"], case let parts = stream.split(separator: ":"), parts.count == 2,
            let device = UInt64(parts[0]), let inode = UInt64(parts[1])
        else { return false }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// `line` without a leading journal priority (`<6>`), for buffers people read.
    public static func withoutPriority(_ line: String) -> String {
        guard line.hasPrefix("<"), let close = line.firstIndex(of: ">"), line.distance(from: line.startIndex, to: close) <= 2,
            line[line.index(after: line.startIndex)..<close].allSatisfy(\.isNumber)
        else { return line }
        return String(line[line.index(after: close)...])
    }

    /// Bootstraps swift-log for `label`'s process at `level`, writing to stdout or stderr.
    public static func bootstrap(level: Logger.Level, toStandardError: Bool) {
        let journal = isJournal(toStandardError ? STDERR_FILENO : STDOUT_FILENO)
        LoggingSystem.bootstrap { label in
            if journal {
                var handler = JournalLogHandler(label: label, toStandardError: toStandardError)
                handler.logLevel = level
                return handler
            }
            var handler = toStandardError ? StreamLogHandler.standardError(label: label) : StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// One line per message for journald: `<6>keel-node: synced: height 3,000 peer=3`.
public struct JournalLogHandler: LogHandler {
    /// The logger's label (the program).
    public let label: String
    private let toStandardError: Bool
    /// Messages below this level are dropped.
    public var logLevel: Logger.Level = .info
    /// Metadata on every message of this logger.
    public var metadata: Logger.Metadata = [:]

    /// A handler for `label`.
    public init(label: String, toStandardError: Bool) {
        self.label = label
        self.toStandardError = toStandardError
    }

    /// Metadata by key.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The syslog priority journald reads from the `<N>` prefix (sd-daemon(3)).
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// Writes one line.
    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let fields = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        // One message, one journal entry: a newline inside would split it.
        let text = "\(event.message)\(fields)".replacingOccurrences(of: "\n", with: " ")
        let line = "<\(JournalLogHandler.priority(event.level))>\(label): \(text)\n"
        FileHandle(fileDescriptor: toStandardError ? STDERR_FILENO : STDOUT_FILENO).write(Data(line.utf8))
    }
}
