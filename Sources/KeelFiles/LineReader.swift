import CKeelSupport
import Foundation

/// Reads a child's output pipe to end of file on a thread of its own, line by line: the
/// sidecar's node output and the test harness's processes both read this way.
public enum LineReader {
    /// A line longer than this without a newline is handed over in pieces, so a child that
    /// never ends its line cannot grow the buffer without bound.
    public static let maxLine = 65_536

    /// Starts a thread named `name` that reads `fd` until end of file and closes it. `onLines`
    /// gets each chunk's complete lines in order (a last line without a newline is still a
    /// line); `onEnd` runs once after the last of them.
    public static func start(
        _ fd: Int32, name: String, onLines: @escaping @Sendable ([String]) -> Void, onEnd: @escaping @Sendable () -> Void = {}
    ) {
        Thread {
            _ = keel_set_thread_name(name)
            var pending = [UInt8]()
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = read(fd, &chunk, chunk.count)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                pending.append(contentsOf: chunk[..<n])
                var lines = [String]()
                while let newline = pending.firstIndex(of: 10) {
                    lines.append(String(decoding: pending[..<newline], as: UTF8.self))
                    pending.removeSubrange(...newline)
                }
                if pending.count > maxLine {
                    lines.append(String(decoding: pending, as: UTF8.self))
                    pending.removeAll()
                }
                if !lines.isEmpty { onLines(lines) }
            }
            if !pending.isEmpty { onLines([String(decoding: pending, as: UTF8.self)]) }
            close(fd)
            onEnd()
        }.start()
    }
}
