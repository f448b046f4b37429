import Foundation
import KeelClient
import KeelTesting
import Testing

/// A real node mining into a data directory on a small tmpfs, filled to the last bytes. Mounts
/// need the private mount namespace `scripts/isolated` gives (`KEEL_PRIVATE_MOUNTS=1`, as
/// `make test` runs), so the tmpfs cannot outlive the run.
@Suite(
    "a full disk pauses writes and nothing is lost", .serialized,
    .enabled(
        if: ProcessInfo.processInfo.environment["KEEL_PRIVATE_MOUNTS"] == "1" && getuid() == 0,
        "needs scripts/isolated as root (make test)"), .keepsArtifacts)
struct DiskFullProcessTests {
    static func mountTmpfs(_ path: String, megabytes: Int) async throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let result = try await Poll.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path])
        guard result.status == 0 else { throw HarnessError(message: "mount failed: \(result.output)") }
    }

    /// Writes `path` until the disk has no room left; returns the bytes written.
    static func fill(_ path: String) -> Int {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var chunk = [UInt8](repeating: 0xa5, count: 64 << 10)
        var total = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            total += n
        }
        fsync(fd)
        return total
    }

    @Test("filled while mining: not ready with the reason, said once, miner stopped; space freed: writes, mining and readiness come back; verify --full passes")
    func diskFull() async throws {
        let dir = TemporaryDirectory("diskfull")
        let mount = dir.path + "/disk"
        try await Self.mountTmpfs(mount, megabytes: 64)
        defer { _ = try? Process.run(URL(fileURLWithPath: "/bin/umount"), arguments: ["-l", mount]).waitUntilExit() }
        let data = mount + "/node"
        let (node, client) = try await NodeHarness.startWithAPI(data)
        defer { node.send(SIGKILL) }
        try await Poll.until("((try? client.status())?.height ?? 0) >= 50", timeout: 60) { ((try? client.status())?.height ?? 0) >= 50 }

        let ballast = mount + "/ballast"
        let written = Self.fill(ballast)
        #expect(written > 0)
        let paused = await Poll.holds(within: 30) {
            guard let ready = try? client.raw("/ready") else { return false }
            return ready.status == 503 && ready.text.contains("writes are paused")
        }
        #expect(paused, "\(node.output.suffix(10))")
        let ready = try client.raw("/ready")
        #expect(ready.text.contains("disk"), "the reason names the disk: \(ready.text)")
        try await Poll.until("Exposition.value(\"keel_storage_writable\", in: (try? client.metrics()) ?? \"\") == 0", timeout: 5) {
            Exposition.value("keel_storage_writable", in: (try? client.metrics()) ?? "") == 0
        }
        let metrics = try client.metrics()
        #expect((Exposition.value("keel_storage_free_bytes", in: metrics) ?? .infinity) < (Exposition.value("keel_storage_free_floor_bytes", in: metrics) ?? 0))
        try await Poll.until("the miner to stop", timeout: 10) { (try? client.mining())?.active == false }
        let heightWhilePaused = try client.status().height
        // A few more seconds paused: the height holds and the log says it once.
        #expect(await Poll.holds(within: 6) { node.output.filter { $0.contains("writes paused") }.count > 1 } == false)
        #expect(try client.status().height == heightWhilePaused)
        #expect(node.output.filter { $0.contains("writes paused") }.count == 1, "\(node.output.filter { $0.contains("paused") })")
        let tx = try? client.submitTransaction(hex: "00")
        #expect(tx == nil)

        try FileManager.default.removeItem(atPath: ballast)
        let back = await Poll.holds(within: 60) { (try? client.raw("/ready"))?.status == 200 }
        #expect(back, "\(node.output.suffix(10))")
        // Logged just after the gate reopens, so possibly a moment after /ready turns 200.
        try await Poll.until("the line 'writes work again' (last lines: \(node.output.suffix(10)))", timeout: 10) {
            node.output.contains { $0.contains("writes work again") }
        }
        try await Poll.until(
            "mining to resume (5 blocks past \(heightWhilePaused))", timeout: 30, value: { (try? client.status())?.height ?? 0 },
            satisfies: { $0 > heightWhilePaused + 5 })
        #expect(Exposition.value("keel_storage_writable", in: try client.metrics()) == 1)

        node.send(SIGTERM)
        #expect(await node.waitForExit(timeout: 20) == 0)
        let info = try await NodeHarness.info(data)
        #expect((info["height"] as? Int ?? 0) > Int(heightWhilePaused), "nothing committed was lost")
        let verify = try await Poll.run(NodeHarness.cli, ["chain", "verify", "--full", "--data-dir", data])
        #expect(verify.status == 0, "\(verify.output)")
    }

    @Test("a node will not start with less free space than its floor, and says how much it needs")
    func refusesToStartWhenFull() async throws {
        let dir = TemporaryDirectory("diskfloor")
        let mount = dir.path + "/disk"
        try await Self.mountTmpfs(mount, megabytes: 16)
        defer { _ = try? Process.run(URL(fileURLWithPath: "/bin/umount"), arguments: ["-l", mount]).waitUntilExit() }
        let node = try NodeHarness.start(mount + "/node")
        let status = await node.waitForExit(timeout: 30)
        #expect(status == 2)
        #expect(node.output.contains { $0.contains("free on the disk holding") && $0.contains("needs at least") }, "\(node.output)")
    }
}
