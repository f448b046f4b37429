import Foundation
import KeelTesting
import Synchronization
import Testing

extension SickNodeAlertsTests {
    /// The node's disk on a small tmpfs and its open-file limit lowered: real faults for the
    /// alerts Prometheus alone raises. The mount needs the private mount namespace of
    /// `scripts/isolated` (where `make test` runs the suites); outside it the test does not run
    /// rather than mount on the machine itself.
    @Test(
        "a disk filled to near its floor fires DiskSpaceLow, then StorageWritesPaused; writes and both alerts clear once space returns; idle connections up to 85% of the open-file limit fire FileDescriptorsHigh",
        .enabled(if: NetworkIsolation.claimed, "needs the private mount namespace of scripts/isolated"))
    func resourceFaultsFireTheirAlerts() async throws {
        let dir = TemporaryDirectory("sick-resources")
        let disk = dir.path + "/disk"
        try FileManager.default.createDirectory(atPath: disk, withIntermediateDirectories: true)
        let mounted = try await Poll.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=192m", "tmpfs", disk])
        try #require(mounted.status == 0, "mount: \(mounted.output)")
        defer { unmount(disk) }

        let limit = 192
        let node = try await NodeProcess.start(directory: disk + "/node", launcher: ["/usr/bin/prlimit", "--nofile=\(limit):\(limit)"])
        defer { node.process.send(SIGKILL) }
        #expect(node.metric("process_max_fds") == Double(limit))
        let apiAddress = String(node.client.endpoint.baseURL.dropFirst("http://".count))
        let prometheus = try await OperationsAssetsTests.startPrometheus(
            node: apiAddress, sidecar: "127.0.0.1:\(try OperationsAssetsTests.freePort())",
            rules: [
                "alerts.yml": try await OperationsAssetsTests.renderedAlerts(changing: "a + { 'for': 1 }"),
                "recording.yml": try String(contentsOfFile: OperationsAssetsTests.root + "/prometheus/rules/recording.yml", encoding: .utf8),
            ],
            directory: TemporaryDirectory("prometheus-sick-resources"))
        defer { prometheus.process.send(SIGKILL) }
        func fires(_ name: String) async -> Bool {
            await Poll.holds(within: 60, interval: 0.5) { prometheus.alertState(name) == "firing" }
        }
        func clears(_ name: String) async -> Bool {
            await Poll.holds(within: 60, interval: 0.5) { prometheus.alertState(name) == nil }
        }
        #expect(
            await Poll.holds(within: 60, interval: 0.25) { prometheus.query("up{job=\"keel-node\"} == 1").series.count == 1 },
            "\(prometheus.diagnosis)")
        for name in ["DiskSpaceLow", "StorageWritesPaused", "FileDescriptorsHigh"] {
            #expect(prometheus.alertState(name) == nil, "\(name) is \(prometheus.alertState(name) ?? "") before any fault")
        }

        // The disk: a filler file leaves twice the floor free, then half of it.
        let floor = try #require(node.metric("keel_storage_free_floor_bytes"))
        func fill(leaving left: Double) throws {
            var stats = statvfs()
            try #require(statvfs(disk, &stats) == 0)
            let free = Double(stats.f_bavail) * Double(stats.f_frsize)
            let more = Int(max(0, free - left))
            if !FileManager.default.fileExists(atPath: disk + "/filler") {
                try Data().write(to: URL(fileURLWithPath: disk + "/filler"))
            }
            let handle = try #require(FileHandle(forUpdatingAtPath: disk + "/filler"))
            defer { try? handle.close() }
            try handle.seekToEnd()
            // Written, not truncated to size: tmpfs counts only pages that hold data.
            let chunk = Data(count: 1 << 20)
            var written = 0
            while written < more {
                let n = min(chunk.count, more - written)
                try handle.write(contentsOf: chunk.prefix(n))
                written += n
            }
        }
        try fill(leaving: 2 * floor)
        #expect(
            await fires("DiskSpaceLow"),
            "DiskSpaceLow is \(prometheus.alertState("DiskSpaceLow") ?? "absent"); free \(node.metric("keel_storage_free_bytes") ?? -1), floor \(floor)")
        #expect(prometheus.alertState("StorageWritesPaused") == nil, "writes paused with twice the floor free")
        try fill(leaving: floor / 2)
        #expect(
            await fires("StorageWritesPaused"),
            "StorageWritesPaused is \(prometheus.alertState("StorageWritesPaused") ?? "absent"); writable \(node.metric("keel_storage_writable") ?? -1)")
        try FileManager.default.removeItem(atPath: disk + "/filler")
        try await Poll.until("writes to resume once space returned", timeout: 30, interval: 0.25) { node.metric("keel_storage_writable") == 1 }
        #expect(await clears("StorageWritesPaused"))
        #expect(await clears("DiskSpaceLow"))
        #expect(node.process.isRunning)

        // File descriptors: idle connections to the API, each an open file in the node.
        let open = try #require(node.metric("process_open_fds"))
        let port = try #require(Int(apiAddress.split(separator: ":").last ?? ""))
        let sockets = try IdleConnections(port: port, count: Int(0.85 * Double(limit) - open) + 1)
        defer { sockets.close() }
        #expect(
            await fires("FileDescriptorsHigh"),
            "FileDescriptorsHigh is \(prometheus.alertState("FileDescriptorsHigh") ?? "absent"); open \(node.metric("process_open_fds") ?? -1) of \(limit)")
        sockets.close()
        #expect(await clears("FileDescriptorsHigh"), "open \(node.metric("process_open_fds") ?? -1) of \(limit) after the connections closed")
        #expect(node.status() != nil, "the node stopped answering")
    }
}

/// Lazily, so a process still holding a file there does not keep the mount (the private mount
/// namespace would drop it at the end of the run anyway).
private func unmount(_ path: String) {
    let umount = Process()
    umount.executableURL = URL(fileURLWithPath: "/usr/bin/umount")
    umount.arguments = ["-l", path]
    guard (try? umount.run()) != nil else { return }
    umount.waitUntilExit()
}

/// Plain TCP connections to a loopback port that never send a byte.
final class IdleConnections: Sendable {
    private let sockets: Mutex<[Int32]>

    init(port: Int, count: Int) throws {
        var opened: [Int32] = []
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { break }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let status = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard status == 0 else { Glibc.close(fd); break }
            opened.append(fd)
        }
        sockets = Mutex(opened)
        guard opened.count == count else {
            close()
            throw PollTimeout(what: "\(count) connections to 127.0.0.1:\(port) (opened \(opened.count))")
        }
    }

    /// Closes every connection (again: nothing).
    func close() {
        for fd in sockets.withLock({ s in
            defer { s = [] }; return s
        }) { Glibc.close(fd) }
    }
}
