import Prometheus
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The standard client `process_*` metrics.
public final class ProcessMetrics: Sendable {
    let resident: Gauge
    let virtual: Gauge
    let openFDs: Gauge
    let maxFDs: Gauge
    let cpuSeconds: Counter
    let startTime: Gauge
    let threads: Gauge
    private let cpuSoFar = Mutex<Double>(0)

    /// Creates the metrics on `r`.
    public init(registry r: PrometheusCollectorRegistry) {
        resident = r.makeGauge(descriptor: .keel("process_resident_memory_bytes", "Resident memory size in bytes."))
        virtual = r.makeGauge(descriptor: .keel("process_virtual_memory_bytes", "Virtual memory size in bytes."))
        openFDs = r.makeGauge(descriptor: .keel("process_open_fds", "Number of open file descriptors."))
        maxFDs = r.makeGauge(descriptor: .keel("process_max_fds", "Maximum number of open file descriptors."))
        cpuSeconds = r.makeCounter(descriptor: .keel("process_cpu_seconds_total", "Total user and system CPU time spent in seconds."))
        startTime = r.makeGauge(descriptor: .keel("process_start_time_seconds", "Start time of the process since unix epoch in seconds."))
        threads = r.makeGauge(descriptor: .keel("process_threads", "Number of OS threads in the process."))
    }

    /// Sets every metric from a sample.
    public func update(_ s: ProcessSample) {
        resident.set(to: Double(s.residentBytes))
        virtual.set(to: Double(s.virtualBytes))
        openFDs.set(to: Double(s.openFDs))
        maxFDs.set(to: Double(s.maxFDs))
        startTime.set(to: s.startTime)
        threads.set(to: Double(s.threads))
        let delta = cpuSoFar.withLock { soFar -> Double in
            defer { soFar = max(soFar, s.cpuSeconds) }
            return max(0, s.cpuSeconds - soFar)
        }
        if delta > 0 { cpuSeconds.increment(by: delta) }
    }
}

/// One reading of /proc/self.
public struct ProcessSample: Sendable {
    /// Resident set size in bytes.
    public let residentBytes: UInt64
    /// Virtual memory size in bytes.
    public let virtualBytes: UInt64
    /// Open file descriptors.
    public let openFDs: Int
    /// The soft limit on open files.
    public let maxFDs: Int
    /// User plus system CPU seconds.
    public let cpuSeconds: Double
    /// Start time, seconds since the epoch.
    public let startTime: Double
    /// OS threads.
    public let threads: Int

    /// Reads /proc/self (nil where /proc is unavailable).
    public static func read() -> ProcessSample? {
        guard let stat = readFile("/proc/self/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may contain spaces), starting at field 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ n: Int) -> Double { fields.count > n - 3 ? Double(fields[n - 3]) ?? 0 : 0 }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        let bootTime =
            readFile("/proc/stat")?.split(separator: "\n").first { $0.hasPrefix("btime ") }
            .flatMap { Double($0.split(separator: " ")[1]) } ?? 0
        return ProcessSample(
            residentBytes: UInt64(field(24) * page), virtualBytes: UInt64(field(23)),
            openFDs: countEntries("/proc/self/fd"), maxFDs: openFileLimit(),
            cpuSeconds: (field(14) + field(15)) / ticks, startTime: bootTime + field(22) / ticks,
            threads: Int(field(20)))
    }

    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = Glibc.read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            data.append(contentsOf: buffer[..<n])
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func countEntries(_ path: String) -> Int {
        guard let dir = opendir(path) else { return 0 }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { count += 1 }
        }
        return max(0, count - 1)  // minus the descriptor opendir itself holds
    }

    static func openFileLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        return Int(clamping: limit.rlim_cur)
    }
}
