import Foundation
import KeelTesting
import Testing

/// The systemd units in runbook/systemd as systemd itself judges them, offline (no systemd runs
/// here as PID 1): `systemd-analyze security` rates their sandbox, `systemd-analyze verify`
/// loads them against a root holding the binaries they name.
@Suite("systemd units", .serialized, .keepsArtifacts)
struct SystemdUnitTests {
    static let units = ["keel-node.service", "keel-sidecar.service"]
    static var directory: String { OperationsAssetsTests.root + "/runbook/systemd" }

    @Test("each unit's exposure is 3.0 or lower (it was 8.7 EXPOSED before hardening)")
    func exposure() async throws {
        for unit in SystemdUnitTests.units {
            let result = try await Poll.run("/usr/bin/systemd-analyze", ["security", "--offline=yes", SystemdUnitTests.directory + "/" + unit])
            let line = try #require(result.output.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(result.output)")
            let figure = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) }, "\(line)")
            #expect(figure <= 3.0, "\(unit): \(line)")
        }
    }

    @Test("both units load without a warning, against a root holding the binaries they start")
    func verify() async throws {
        let root = TemporaryDirectory("systemd-root")
        let fm = FileManager.default
        for directory in ["/usr/local/bin", "/bin", "/etc/systemd/system", "/usr/lib/systemd"] {
            try fm.createDirectory(atPath: root.path + directory, withIntermediateDirectories: true)
        }
        for binary in ["keel-node", "keel-sidecar"] {
            try fm.copyItem(atPath: Binaries.path(binary), toPath: root.path + "/usr/local/bin/" + binary)
        }
        try fm.copyItem(atPath: "/bin/kill", toPath: root.path + "/bin/kill")
        try fm.copyItem(atPath: "/usr/lib/systemd/system", toPath: root.path + "/usr/lib/systemd/system")
        for unit in SystemdUnitTests.units {
            try fm.copyItem(atPath: SystemdUnitTests.directory + "/" + unit, toPath: root.path + "/etc/systemd/system/" + unit)
        }
        let result = try await Poll.run(
            "/usr/bin/systemd-analyze",
            ["verify", "--man=no", "--root=" + root.path] + SystemdUnitTests.units.map { "/etc/systemd/system/" + $0 })
        #expect(result.status == 0 && result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(result.output)")
    }

    @Test("Type=notify with a watchdog, no restart on exit 2 or 64, and install.md installs only what production runs")
    func contracts() throws {
        for unit in SystemdUnitTests.units {
            let text = try String(contentsOfFile: SystemdUnitTests.directory + "/" + unit, encoding: .utf8)
            let lines = Set(text.split(separator: "\n").map(String.init))
            for required in ["Type=notify", "NotifyAccess=main", "WatchdogSec=60", "RestartPreventExitStatus=2 64", "UMask=0077", "StateDirectory=keel"] {
                #expect(lines.contains(required), "\(unit) lacks \(required)")
            }
        }
        let sidecar = try String(contentsOfFile: SystemdUnitTests.directory + "/keel-sidecar.service", encoding: .utf8)
        #expect(sidecar.contains("ExecReload=/bin/kill -HUP $MAINPID") && sidecar.contains("LoadCredential=webhook-secret:"))
        let install = try String(contentsOfFile: OperationsAssetsTests.root + "/runbook/install.md", encoding: .utf8)
        // The commands in its code blocks (the prose may say where to run the tests instead).
        let commands = install.components(separatedBy: "```").enumerated().filter { $0.offset % 2 == 1 }.map(\.element).joined()
        #expect(commands.contains("make install"))
        for forbidden in ["make test", "make deps", "apt-get install prometheus"] {
            #expect(!commands.contains(forbidden), "install.md runs \(forbidden) on the production host")
        }
    }
}
