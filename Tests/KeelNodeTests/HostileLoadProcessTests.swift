import Foundation
import KeelClient
import KeelCore
import KeelP2P
import KeelTesting
import Synchronization
import Testing

/// Every lie at once, for a minute, against one real keel-node that follows an honest miner:
/// its memory stays within bound, it stays ready, and it keeps up with the miner throughout.
/// `make test` runs it after the parallel suites, alone (its load would starve their nodes).
@Suite("Hostile peers all at once against a real node", .serialized, .keepsArtifacts)
struct HostileLoadProcessTests {
    /// How long the attack lasts (seconds).
    static let duration = 60.0
    /// Most the victim's RSS may grow over its pre-attack figure: the orphan pool's bound
    /// (64 MiB, though nothing unrequested is held) plus socket buffers and allocator slack.
    static let rssBound = 96 << 20
    /// Most blocks the victim may trail the miner by during the attack (measured: 9 on two cores).
    static let maxLag: UInt64 = 150

    /// Runs `attack` from fresh loopback hosts (the next when a host is banned) until `deadline`.
    static func keepAttacking(
        _ target: String, hosts: Range<Int>, until deadline: ContinuousClock.Instant,
        _ attack: @escaping @Sendable (HostilePeer) async -> Void
    ) async {
        var host = hosts.lowerBound
        while ContinuousClock.now < deadline, host < hosts.upperBound {
            if let peer = try? await HostilePeer.connect(to: target, from: "127.0.0.\(host)") {
                while ContinuousClock.now < deadline, !peer.isClosed { await attack(peer) }
                await peer.raw.close()
            }
            host += 1
        }
    }

    @Test("low-work blocks, forged headers, inv and addr floods, orphans, long locators and socket churn for a minute: bounded, ready, in sync")
    func everythingAtOnce() async throws {
        let dirA = TemporaryDirectory("honest"), dirN = TemporaryDirectory("victim")
        let miner = try await NodeProcess.start(directory: dirA.path, ["--threads", "1"])
        let victim = try await NodeProcess.start(directory: dirN.path)
        defer {
            miner.process.send(SIGKILL)
            victim.process.send(SIGKILL)
        }
        try victim.connect(to: miner)
        // Past the 144-block margin, so a branch from genesis is far below the work threshold.
        try await Poll.until("the victim to sync 160 blocks", timeout: 120, interval: 0.2) { (victim.height ?? 0) >= 160 }
        let genesis = try #require(HostileLoadProcessTests.genesisContext())
        let before = victim.rss
        let deadline = ContinuousClock.now + .seconds(HostileLoadProcessTests.duration)
        let target = victim.p2pAddress
        let samples = Samples(rss: before)

        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                let siblings = HostilePeer.siblings(on: genesis, count: 200)
                await HostileLoadProcessTests.keepAttacking(target, hosts: 100..<110, until: deadline) { peer in
                    for block in siblings where !peer.isClosed {
                        await peer.send(.headers([block.header]))
                        await peer.send(.block(block))
                    }
                }
            }
            group.addTask {
                let forged = HostilePeer.forgedHeaders(on: genesis, count: 200, target: CompactTarget(bits: 0x2000_ffff))
                await HostileLoadProcessTests.keepAttacking(target, hosts: 110..<140, until: deadline) { peer in
                    await peer.send(.headers(forged))
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            group.addTask {
                let items = (0..<Message.maxInventory).map { InventoryItem(kind: .block, hash: Hash256.sha256d(Array("inv \($0)".utf8))) }
                await HostileLoadProcessTests.keepAttacking(target, hosts: 140..<150, until: deadline) { peer in
                    await peer.send(.inv(items))
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
            group.addTask {
                let orphans = HostilePeer.orphans(count: 20, size: 500_000)
                await HostileLoadProcessTests.keepAttacking(target, hosts: 150..<160, until: deadline) { peer in
                    for block in orphans where !peer.isClosed { await peer.send(.block(block)) }
                }
            }
            group.addTask {
                await HostileLoadProcessTests.keepAttacking(target, hosts: 160..<170, until: deadline) { peer in
                    let addresses = (0..<Message.maxAddresses).map { i in
                        PeerAddress(host: "127.\(1 + Int.random(in: 0..<200)).\(i / 250).\(1 + i % 250)", port: UInt16.random(in: 20_000...60_000), lastSeen: 0)
                    }
                    await peer.send(.addr(addresses))
                    try? await Task.sleep(for: .milliseconds(100))
                }
            }
            group.addTask {
                let locator = (0..<Message.maxLocator).map { Hash256.sha256d(Array("locator \($0)".utf8)) }
                await HostileLoadProcessTests.keepAttacking(target, hosts: 170..<180, until: deadline) { peer in
                    await peer.send(.getheaders(locator: locator, stop: .zero))
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            group.addTask {
                // Sockets opened and dropped before any handshake, from many hosts.
                var i = 0
                while ContinuousClock.now < deadline {
                    if let raw = try? await RawPeer.connect(to: target, from: RawPeer.source(i % 2_000)) { await raw.close() }
                    i += 1
                }
            }
            group.addTask {
                while ContinuousClock.now < deadline {
                    let rss = victim.rss
                    samples.peak.withLock { $0 = max($0, rss) }
                    if let ready = try? victim.client.raw("/ready"), ready.status != 200 {
                        samples.notReady.withLock { $0.append(ready.text) }
                    }
                    if let a = miner.height, let n = victim.height { samples.lag.withLock { $0 = max($0, a > n ? a - n : 0) } }
                    try? await Task.sleep(for: .milliseconds(500))
                }
            }
        }
        let peak = samples.peak.withLock { $0 }
        let grew = peak - before
        print(
            "hostile load: RSS \(before >> 20) MiB before, peak \(peak >> 20) MiB (+\(grew >> 20) MiB); "
                + "worst lag behind the miner \(samples.lag.withLock { $0 }) blocks")
        #expect(grew <= HostileLoadProcessTests.rssBound, "RSS grew \(grew >> 20) MiB")
        // Kept in step with the miner throughout (dev mines about ten blocks a second; a
        // victim starved by the attack would fall hundreds behind).
        #expect(samples.lag.withLock { $0 } <= HostileLoadProcessTests.maxLag, "fell \(samples.lag.withLock { $0 }) blocks behind the miner")
        let notReady = samples.notReady.withLock { $0 }
        #expect(notReady.isEmpty, "not ready: \(notReady.prefix(3))")
        // Still in step with the honest miner once the attack ends.
        let minerHeight = miner.height ?? 0
        try await Poll.until("the victim to catch up with the miner", timeout: 30, interval: 0.2) { (victim.height ?? 0) >= minerHeight }
        let metrics = try victim.client.metrics()
        for (series, bound) in [("keel_p2p_orphan_blocks", 256.0), ("keel_p2p_download_queue", 32_768.0), ("keel_p2p_address_book_size", 10_000.0)] {
            let value = Exposition.value(series, in: metrics) ?? -1
            #expect(value >= 0 && value <= bound, "\(series) = \(value)")
        }
        #expect((Exposition.value("keel_peer_bans_total{reason=\"invalid_block\"}", in: metrics) ?? 0) >= 1, "forged headers went unpunished")
        #expect((Exposition.value("keel_p2p_ignored_total{what=\"block\",reason=\"low_work\"}", in: metrics) ?? 0) >= 1)
        #expect(await victim.stop() == 0)
        #expect(await miner.stop() == 0)
    }

    /// What the watcher saw during the attack.
    final class Samples: Sendable {
        let peak: Mutex<Int>
        let notReady = Mutex<[String]>([])
        let lag = Mutex<UInt64>(0)
        init(rss: Int) { peak = Mutex(rss) }
    }

    /// The dev genesis as a parent, for blocks built on it.
    static func genesisContext() -> ParentContext? {
        let genesis = Network.dev.genesis.header
        return ParentContext(
            hash: genesis.hash, height: 0, timestamp: genesis.timestamp, target: genesis.target, medianTimePast: genesis.timestamp,
            intervalStartTimestamp: nil, intervalStartHeight: nil)
    }
}
