import Foundation
import KeelFiles
import Logging
import Testing

@Suite("logs for journald")
struct OperatorLoggingTests {
    @Test("journal lines start with the syslog priority; JOURNAL_STREAM counts only for the stream it names; KEEL_LOG_FORMAT=journal asks for them")
    func journal() throws {
        #expect(JournalLogHandler.priority(.info) == 6 && JournalLogHandler.priority(.warning) == 4 && JournalLogHandler.priority(.debug) == 7)
        #expect(OperatorLogging.withoutPriority("<6>keel-node: synced") == "keel-node: synced")
        #expect(OperatorLogging.withoutPriority("<html> stays") == "<html> stays")
        #expect(OperatorLogging.withoutPriority("plain") == "plain")
        // A file stands in for the journal's socket: the device and inode are what count.
        let path = NSTemporaryDirectory() + "keel-journal-\(getpid())"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fd = open(path, O_WRONLY)
        defer { close(fd) }
        var info = stat()
        #expect(fstat(fd, &info) == 0)
        #expect(OperatorLogging.isJournal(fd, environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"]))
        #expect(
            !OperatorLogging.isJournal(fd, environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"]), "an inherited variable for another stream")
        #expect(!OperatorLogging.isJournal(fd, environment: [:]))
        #expect(OperatorLogging.isJournal(fd, environment: ["KEEL_LOG_FORMAT": "journal"]))
    }
}
