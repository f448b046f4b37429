import Foundation

/// Facts about processes from /proc.
public enum Procs {
    /// Whether `pid` exists (a zombie counts: it is not reaped).
    public static func exists(_ pid: Int32) -> Bool { FileManager.default.fileExists(atPath: "/proc/\(pid)") }

    /// The fields of `/proc/<pid>/stat` after the command name (which may hold spaces): the
    /// state is the first, the parent pid the second, utime and stime the 12th and 13th.
    static func statFields(_ pid: Int32) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// The state letter of `pid` (R, S, Z, ...).
    public static func state(_ pid: Int32) -> Character? { statFields(pid)?.first?.first }

    /// Zombie children of `parent`.
    public static func zombies(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let fields = statFields(pid) else { return false }
            return fields.count > 1 && fields[0] == "Z" && Int32(fields[1]) == parent
        }
    }

    /// CPU seconds (user and system) `pid` has used so far (0 if it is gone).
    public static func cpuSeconds(_ pid: Int32) -> Double {
        guard let fields = statFields(pid), fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Open file descriptors of `pid`.
    public static func fdCount(_ pid: Int32) -> Int { ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).count }

    /// OS threads of a process.
    public static func threadCount(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").count) ?? -1
    }

    /// The names (`comm`) of the process's threads; a thread that exits between the listing and
    /// the read is skipped.
    public static func threadNames(_ pid: Int32) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.compactMap { task in
            (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }
}
