import KeelCore
import Testing

@testable import KeelNode

/// The addresses here are only judged, never handed to a running node; the one off loopback is a
/// name, which a dev node refuses like any address off the machine.
@Suite("what the API may ask a node to dial", .keepsArtifacts)
struct ConnectScopeTests {
    @Test("a dev node's API dials loopback only unless --allow-remote-peers; main and test dial what the operator asks")
    func scope() {
        #expect(Node.connectScopeProblem("127.0.0.1:9333", network: .dev, allowRemote: false) == nil)
        #expect(Node.connectScopeProblem("[::1]:9333", network: .dev, allowRemote: false) == nil)
        let refused = Node.connectScopeProblem("peer.example:9333", network: .dev, allowRemote: false)
        #expect(refused?.contains("--allow-remote-peers") == true)
        #expect(Node.connectScopeProblem("peer.example:9333", network: .dev, allowRemote: true) == nil)
        #expect(Node.connectScopeProblem("peer.example:9333", network: .main, allowRemote: false) == nil)
    }
}
