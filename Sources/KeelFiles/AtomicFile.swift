import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Small files (keys, tokens, wallets, reports) written so that a crash leaves either the old
/// contents or the new, never a torn mix: a temporary file of its own in the same directory,
/// fsynced, renamed (or, to create, hard-linked) into place, then the directory fsynced so the
/// name itself survives a power cut.
public enum AtomicFile {
    /// A file operation that failed, with the call and errno in `cause`.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What could not be done.
        public let message: String
        /// The failing call and `strerror(errno)`, when a call failed.
        public let cause: String?
        /// `message (cause)`.
        public var description: String { cause.map { "\(message) (\($0))" } ?? message }
    }

    /// Replaces (or creates) `path` with `data`, with `mode`.
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o600) throws {
        let temporary = try writeTemporary(data, beside: path, mode: mode)
        guard rename(temporary, path) == 0 else {
            let failure = Failure(message: "cannot replace \(path)", cause: "rename: \(String(cString: strerror(errno)))")
            unlink(temporary)
            throw failure
        }
        syncDirectory(of: path)
    }

    /// Creates `path` with `data`, failing with `exists` set when something is already there:
    /// never overwrites, even against a writer racing for the same name (the new file is linked
    /// into place, which the kernel refuses if the name exists).
    public static func create(_ data: Data, at path: String, mode: mode_t = 0o600) throws {
        let temporary = try writeTemporary(data, beside: path, mode: mode)
        defer { unlink(temporary) }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { throw Failure(message: "\(path) already exists; it was left as it is", cause: nil) }
            throw Failure(message: "cannot create \(path)", cause: "link: \(String(cString: strerror(errno)))")
        }
        syncDirectory(of: path)
    }

    /// Throws when `path` (a secret) can be read or written by its group or by others, saying
    /// how to fix it; nothing when it is missing.
    public static func checkPrivate(_ path: String, what: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        let loose = info.st_mode & 0o077
        if loose != 0 {
            throw Failure(
                message: String(
                    format: "%@ %@ has mode %03o: its group or other users can read it; run chmod 600 %@ (and check who has seen it)",
                    what, path, info.st_mode & 0o777, path), cause: nil)
        }
    }

    /// A new file beside `path` with `data`, fsynced, with `mode`; returns its path.
    static func writeTemporary(_ data: Data, beside path: String, mode: mode_t) throws -> String {
        var template = Array((path + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else {
            throw Failure(message: "cannot write \(path)", cause: "mkstemp: \(String(cString: strerror(errno)))")
        }
        let temporary = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { close(fd) }
        let written = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 { if errno == EINTR { continue }; return false }
                offset += n
            }
            return true
        }
        guard written, fchmod(fd, mode) == 0, fsync(fd) == 0 else {
            let failure = Failure(message: "cannot write \(path)", cause: "write: \(String(cString: strerror(errno)))")
            unlink(temporary)
            throw failure
        }
        return temporary
    }

    /// fsyncs the directory holding `path`, so a rename, link or removal in it is durable.
    public static func syncDirectory(of path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }
}
