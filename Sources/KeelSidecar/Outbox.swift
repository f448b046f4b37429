import Foundation
import KeelFiles
import Synchronization

/// The durable queue of webhook deliveries: one JSON file per (notification, receiver) in
/// `state_dir/outbox`, written with fsync and an atomic rename before anything is sent, and
/// removed only after a 2xx. A sidecar killed at any moment finds its queue on restart; a
/// receiver that is down keeps its deliveries until it is back (or `max_age` passes, when they
/// move to `outbox/failed` with the reason).
public final class Outbox: Sendable {
    /// One queued delivery. The body is rendered once, so every retry sends the same bytes
    /// under the same `webhook-id`.
    public struct Entry: Codable, Sendable, Equatable {
        /// `msg_<hex>`: the Standard Webhooks id, stable across retries and restarts.
        public var id: String
        /// The receiver's configured name (its URL and secret stay in the configuration).
        public var receiver: String
        /// The alert's name, for logs and metrics.
        public var alertname: String
        /// `firing` or `resolved`.
        public var status: String
        /// Unix seconds when queued.
        public var created: Double
        /// Attempts so far.
        public var attempts: Int
        /// Unix seconds of the next attempt.
        public var nextAttempt: Double
        /// The request body.
        public var body: String
        /// Why the last attempt failed (never the URL).
        public var lastError: String?
    }

    /// One JSON file per undelivered notification (mode 0600).
    public let directory: String
    private let entries = Mutex<[String: Entry]>([:])

    /// Opens (creating with mode 0700) `directory` and loads what a previous run left. A file
    /// that does not parse is moved to `failed/` rather than blocking the queue.
    public init(directory: String) throws {
        self.directory = directory
        for dir in [directory, directory + "/failed"] {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw SidecarError(.storage, "cannot create the outbox directory \(dir): \(error.localizedDescription)")
            }
        }
        var loaded = [String: Entry]()
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw SidecarError(.storage, "cannot read the outbox directory \(directory)", cause: error)
        }
        for name in names where name.hasSuffix(".json") {
            let path = directory + "/" + name
            do {
                let entry = try JSONDecoder().decode(Entry.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
                loaded[entry.id] = entry
            } catch {
                // Unreadable (damaged on disk or edited by hand; writes are atomic, so a crash
                // leaves none half-written): set aside in failed/, never sent half-read.
                do {
                    try FileManager.default.moveItem(atPath: path, toPath: directory + "/failed/" + name + ".unreadable")
                } catch {
                    // Not loaded either way; the next start tries to set it aside again.
                }
            }
        }
        for name in names where name.hasPrefix(".tmp-") {
            do {
                try FileManager.default.removeItem(atPath: directory + "/" + name)
            } catch {
                // A write the last run never renamed into place: it holds nothing queued.
            }
        }
        entries.withLock { $0 = loaded }
    }

    /// Deliveries waiting.
    public var depth: Int { entries.withLock { $0.count } }

    /// Every waiting entry, oldest first.
    public var all: [Entry] { entries.withLock { Array($0.values) }.sorted { ($0.created, $0.id) < ($1.created, $1.id) } }

    /// Entries whose next attempt is due at `now`, oldest first.
    public func due(now: Double) -> [Entry] { all.filter { $0.nextAttempt <= now } }

    /// A new id: `msg_` and 24 random hex digits.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "msg_" + (0..<12).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Writes `entry` durably (queued or updated).
    public func put(_ entry: Entry) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(entry)
        do { try AtomicFile.write(data, to: path(entry.id)) } catch {
            throw SidecarError(.storage, "cannot write the outbox entry \(entry.id)", cause: error)
        }
        entries.withLock { $0[entry.id] = entry }
    }

    /// Removes a delivered entry; returns the error when its file stays (the entry would be
    /// delivered again after a restart: at least once, as promised, but worth a log line).
    @discardableResult
    public func remove(_ id: String) -> (any Error)? {
        _ = entries.withLock { $0.removeValue(forKey: id) }
        do {
            try FileManager.default.removeItem(atPath: path(id))
        } catch {
            return error
        }
        AtomicFile.syncDirectory(of: path(id))
        return nil
    }

    /// Moves an entry that will never be delivered to `failed/`, with the reason. Returns
    /// whether the copy in `failed/` was written (the caller says so when it was not: the entry
    /// leaves the outbox either way, or it would be retried for ever).
    @discardableResult
    public func deadLetter(_ entry: Entry, reason: String) -> Bool {
        var failed = entry
        failed.lastError = reason
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var kept = false
        do {
            try AtomicFile.write(try encoder.encode(failed), to: directory + "/failed/" + entry.id + ".json")
            kept = true
        } catch {
            kept = false
        }
        remove(entry.id)
        return kept
    }

    private func path(_ id: String) -> String { directory + "/" + id + ".json" }
}
