import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A unix datagram socket bound at `path`, collecting what arrives (as systemd's notify socket).
public final class NotifySocket: Sendable {
    /// Where it is bound.
    public let path: String
    private let fd: Int32
    private let messages = Mutex<[String]>([])

    /// Binds a new socket at `path`.
    public init(path: String) throws {
        self.path = path
        fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0 else { throw PollTimeout(what: "a datagram socket at \(path) (errno \(errno))") }
    }

    /// Every message so far (reads what has arrived first).
    public var received: [String] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            messages.withLock { $0.append(text) }
        }
        return messages.withLock { $0 }
    }

    /// Closes the socket's descriptor; call once.
    public func close() { Glibc.close(fd) }
}
