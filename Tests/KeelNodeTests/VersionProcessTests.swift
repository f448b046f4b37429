import Foundation
import KeelCore
import KeelTesting
import Testing

/// `--version` on every binary, and `keel_build_info` on the node, name the version and the
/// commit make stamped into the build (scripts/stamp-build), not a variable set at run time.
@Suite("versions", .serialized, .keepsArtifacts)
struct VersionProcessTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The commit the stamp holds, as the build compiled it ("unknown" without a stamp: a plain
    /// `swift build`; make always stamps).
    static func stampedCommit() throws -> String {
        guard let text = try? String(contentsOfFile: root + "/Sources/CKeelBuildInfo/keel_build_stamp.h", encoding: .utf8) else { return "unknown" }
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("#define KEEL_BUILD_COMMIT") })
        return String(line.split(separator: "\"")[1])
    }

    @Test("keel-node, keel and keel-sidecar --version print the version and the stamped commit, exit 0; keel_build_info has the same labels")
    func versionsNameTheCommit() async throws {
        let commit = try VersionProcessTests.stampedCommit()
        #expect(commit == KeelBuild.commit, "the test build and the stamp disagree")
        // A real commit of this repository (what make stamps in a checkout), not "unknown".
        if FileManager.default.fileExists(atPath: VersionProcessTests.root + "/.git") {
            let hash = commit.replacingOccurrences(of: "-dirty", with: "")
            let known = try await Poll.run("/usr/bin/git", ["-C", VersionProcessTests.root, "cat-file", "-e", hash + "^{commit}"])
            #expect(known.status == 0, "\(commit) is not a commit here (build with make, which runs scripts/stamp-build): \(known.output)")
        }
        for program in ["keel-node", "keel", "keel-sidecar"] {
            let result = try await Poll.run(Binaries.path(program), ["--version"])
            #expect(result.status == 0)
            #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "\(program) \(KeelBuild.version) (commit \(commit))")
        }
        let node = try await NodeProcess.start(directory: TemporaryDirectory("version").path)
        defer { node.process.send(SIGKILL) }
        #expect(
            node.metric("keel_build_info{version=\"\(KeelBuild.version)\",commit=\"\(commit)\"}") == 1,
            "\((try? node.client.metrics())?.split(separator: "\n").filter { $0.hasPrefix("keel_build_info") } ?? [])")
    }
}
