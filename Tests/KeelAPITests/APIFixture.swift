import Foundation
import Hummingbird
import HummingbirdTesting
import KeelAPI
import KeelAPIModels
import KeelChain
import KeelCore
import KeelMining
import KeelNode
import KeelStorage
import KeelTesting
import Synchronization

/// A backend over a real chain on RocksDB and a real miner, for API tests.
final class TestBackend: NodeBackend {
    let testChain: TestChain
    let miner: Miner
    let metrics = NodeMetrics(routes: APIRouter.routes + [APIRouter.unmatchedRoute], columnFamilies: [], version: "test", commit: "test", rssWarmup: 600)
    let phaseName = Mutex("running")

    init(_ testChain: TestChain) {
        self.testChain = testChain
        miner = Miner(chain: testChain.chain)
    }

    var network: Network { .dev }
    var version: String { "test" }
    var chain: ChainState? { phase == "running" ? testChain.chain : nil }
    var phase: String { phaseName.withLock { $0 } }
    var isStoreOpen: Bool { !testChain.store.database.isClosed }
    var defaultPayTo: AddressHash { testChain.miner.addressHash }
    var peerCount: Int { 0 }
    func readinessFailures() -> [String] { phase == "running" ? [] : ["the node is \(phase)"] }
    func miningStatus() -> API.Mining {
        let s = miner.status
        return API.Mining(
            active: s.active, threads: s.threads, hashesTotal: miner.hashesTotal,
            payTo: s.payTo.map { Address(hash: $0, network: network).string })
    }
    func startMining(threads: Int) throws -> API.Mining {
        miner.start(threads: threads, payTo: defaultPayTo)
        return miningStatus()
    }
    func stopMining() -> (API.Mining, Double) {
        let seconds = miner.stop()
        return (miningStatus(), seconds)
    }
    func metricsText() -> [UInt8] { metrics.render() }
    func backup(to directory: String) throws -> ChainStore.Backup { try testChain.store.backup(to: directory) }
}

/// Runs `body` against a live server (real TCP on loopback) over a funded chain.
func withAPI(_ body: @Sendable (any TestClientProtocol, TestBackend, String) async throws -> Void) async throws {
    let chain = try TestChain()
    try chain.extend(16)
    let backend = TestBackend(chain)
    let token = "test-token-0123456789abcdef"
    let metrics = backend.metrics
    let router = APIRouter.make(backend: backend, token: token) { route, status, seconds in
        metrics.recordRequest(route: route, status: status, seconds: seconds)
    }
    let app = Application(
        router: router,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    try await app.test(.live) { client in try await body(client, backend, token) }
    backend.miner.stop()
}

/// Response helpers.
extension TestResponse {
    var text: String { String(buffer: body) }
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }
    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
}

func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)", .contentType: "application/json"] }

func hexBody(_ hex: String) -> ByteBuffer { ByteBuffer(string: "{\"hex\":\"\(hex)\"}") }
