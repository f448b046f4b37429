import Foundation
import KeelTesting
import Testing

/// The HTTP API under a schema-driven fuzzer: Schemathesis (installed by `make deps`) generates
/// requests from `openapi/keel-node.json`, valid and invalid, and checks every answer against
/// the document with all its checks (no 5xx, documented statuses and bodies, 405 with `Allow`
/// for other methods, schema-valid requests accepted and invalid ones refused, the token
/// enforced). What the document cannot say (checksums, signatures) is in testing/schemathesis.toml.
///
/// Three routes are left out: `POST /v1/peers/import` and `/v1/peers/connect` would hand the
/// node whatever addresses the fuzzer makes up (nothing here may lead a node off this machine;
/// their refusals are tested by hand in the P2P suites), and `POST /v1/backup` would create
/// directories wherever the fuzzer points.
@Suite("the HTTP API under Schemathesis", .serialized, .keepsArtifacts)
struct APIFuzzProcessTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test("schemathesis --checks all against a live dev node: zero failures")
    func fuzz() async throws {
        let tool = APIFuzzProcessTests.root + "/.build/tools/schemathesis/bin/schemathesis"
        try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: `make deps` installs it")
        let node = try await NodeProcess.start(directory: TemporaryDirectory("fuzz").path, ["--threads", "1"])
        defer { node.process.send(SIGKILL) }
        try await Poll.until("(node.height ?? 0) >= 5", timeout: 60) { (node.height ?? 0) >= 5 }
        let token = try #require(node.client.endpoint.token)
        let run = try await Poll.run(
            tool,
            [
                "--config-file", APIFuzzProcessTests.root + "/testing/schemathesis.toml",
                "run", APIFuzzProcessTests.root + "/openapi/keel-node.json", "--url", node.client.endpoint.baseURL,
                "--checks", "all", "-H", "Authorization: Bearer \(token)",
                "--exclude-path", "/v1/peers/import", "--exclude-path", "/v1/peers/connect", "--exclude-path", "/v1/backup",
                "--max-examples", "50", "--generation-deterministic", "--no-color",
            ], timeout: 600)
        #expect(run.status == 0, "schemathesis found failures:\n\(run.output.suffix(6_000))")
        #expect(run.output.contains("passed") && !run.output.contains("Tested: 0"), "\(run.output.suffix(2_000))")
        #expect(node.process.isRunning, "the node died under the fuzzer")
        #expect(!run.output.contains(token), "the token reached the fuzzer's report")
    }
}
