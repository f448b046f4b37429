import KeelChain
import KeelCore
import KeelP2P
import KeelTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Misbehaving peers connect from their own loopback source address (127.0.0.x): bans are per
/// host, and the well-behaved node on 127.0.0.1 must keep syncing throughout.
@Suite("P2P defence: bad input, bans, limits and load", .keepsArtifacts)
struct DefenceTests {
    struct Case: Sendable {
        let name: String
        let reason: String
        let act: @Sendable (RawPeer, TestPeerNode) async throws -> Void
    }

    static func header(magic: UInt32, command: [UInt8], length: UInt32, checksum: [UInt8]) -> [UInt8] {
        var w = ByteWriter()
        w.writeLE(magic)
        w.write(contentsOf: command + [UInt8](repeating: 0, count: 12 - command.count))
        w.writeLE(length)
        w.write(contentsOf: checksum)
        return w.bytes
    }

    static let cases: [Case] = [
        Case(name: "garbage after the magic", reason: "bad_command") { raw, _ in
            try await raw.send(bytes: header(magic: Network.dev.magic, command: [0xff, 0x00, 0x13], length: 0, checksum: [0, 0, 0, 0]))
        },
        Case(name: "another network's magic", reason: "bad_magic") { raw, _ in
            try await raw.send(bytes: Message.ping(1).frame.encoded(magic: Network.main.magic))
        },
        Case(name: "an oversized length", reason: "oversized") { raw, _ in
            try await raw.send(bytes: header(magic: Network.dev.magic, command: Array("block".utf8), length: 5 << 20, checksum: [0, 0, 0, 0]))
        },
        Case(name: "a 64 KiB frame before the handshake", reason: "oversized") { raw, _ in
            try await raw.send(bytes: header(magic: Network.dev.magic, command: Array("tx".utf8), length: 64 << 10, checksum: [0, 0, 0, 0]))
        },
        Case(name: "a bad checksum", reason: "bad_checksum") { raw, _ in
            var bytes = Message.ping(7).frame.encoded(magic: Network.dev.magic)
            bytes[20] ^= 0xff
            try await raw.send(bytes: bytes)
        },
        Case(name: "an invalid block", reason: "invalid_block") { raw, node in
            try await raw.handshake()
            var block = node.chain.makeBlock()
            BlockFactory.antiGrind(&block)
            try await raw.send(.block(block))
        },
    ]

    // A message flood is a matter of rate, so its test is in P2PTimingTests, run alone.
    @Test("each kind of bad input disconnects and bans its sender; the ban holds; a good peer keeps syncing")
    func badInputIsBanned() async throws {
        let net = try await TestNetwork.start(2)
        let node = net[0], good = net[1]
        try await net.connect(1, 0)
        for (i, c) in DefenceTests.cases.enumerated() {
            let source = "127.0.0.\(i + 2)"
            let raw = try await RawPeer.connect(to: node.address, from: source)
            try await c.act(raw, node)
            #expect(await raw.waitClosed(timeout: 10), "\(c.name): the node kept the connection")
            let expected = Double(DefenceTests.cases[0...i].filter { $0.reason == c.reason }.count)
            let banned = await Poll.holds(within: 5) { node.metric("keel_peer_bans_total{reason=\"\(c.reason)\"}") == expected }
            #expect(banned, "\(c.name): no ban with reason \(c.reason)")
            let again = try await RawPeer.connect(to: node.address, from: source)
            #expect(await again.waitClosed(timeout: 5), "\(c.name): the banned host got back in")
            // Meanwhile the well-behaved peer is still served.
            try await good.mine(2)
            try await net.waitForTips(timeout: 20)
        }
        #expect(node.metric("keel_p2p_inbound_rejected_total{reason=\"banned\"}") == Double(DefenceTests.cases.count))
        #expect(node.network.health().bannedHosts == DefenceTests.cases.count)
        #expect(node.network.peers().count == 1)
        await net.stop()
    }

    @Test("a ban closes every connection of the host, not only the one that misbehaved")
    func banClosesTheHost() async throws {
        let node = try await TestPeerNode.start(index: 0, configuration: TestNetwork.configuration())
        let quiet = try await RawPeer.connect(to: node.address, from: "127.0.0.30")
        try await quiet.handshake()
        let other = try await RawPeer.connect(to: node.address, from: "127.0.0.31")
        try await other.handshake()
        let noisy = try await RawPeer.connect(to: node.address, from: "127.0.0.30")
        try await noisy.send(bytes: DefenceTests.header(magic: Network.main.magic, command: Array("ping".utf8), length: 0, checksum: [0, 0, 0, 0]))
        #expect(await noisy.waitClosed(timeout: 10))
        #expect(await quiet.waitClosed(timeout: 10), "the banned host's well-behaved connection was kept")
        #expect(!other.isClosed, "another host is untouched")
        await node.stop()
    }

    /// A TCP listener on every loopback address that accepts connections and never speaks, so
    /// a dial to it holds its socket until the connect timeout.
    static func silentListener() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = INADDR_ANY
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 64) == 0 else { throw PollTimeout(what: "a listener") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    @Test("dial-back requests are bounded: one at a time per peer, four in all; the rest are answered unreachable and counted")
    func dialBacksBounded() async throws {
        let node = try await TestPeerNode.start(index: 0, configuration: TestNetwork.configuration())
        let (fd, port) = try Self.silentListener()
        defer { close(fd) }
        let first = try await RawPeer.connect(to: node.address, from: "127.0.0.40")
        try await first.handshake()
        for nonce in 0..<10 { try await first.send(.reachCheck(port: port, nonce: UInt64(nonce))) }
        try await Poll.until("node.metric(\"keel_p2p_dial_backs_refused_total{reason=\\\"busy\\\"}\") == 9", timeout: 5) {
            node.metric("keel_p2p_dial_backs_refused_total{reason=\"busy\"}") == 9
        }
        var others = [RawPeer]()
        for i in 0..<5 {
            let peer = try await RawPeer.connect(to: node.address, from: "127.0.0.\(41 + i)")
            try await peer.handshake()
            try await peer.send(.reachCheck(port: port, nonce: 100 + UInt64(i)))
            others.append(peer)
        }
        #expect(
            await Poll.holds(within: 5) { node.metric("keel_p2p_dial_backs_refused_total{reason=\"limit\"}") == 2 },
            "\(String(describing: node.metric("keel_p2p_dial_backs_refused_total{reason=\"limit\"}")))")
        let answered = await Poll.holds(within: 5) {
            first.messages().filter { if case .reachResult(_, false, _) = $0 { return true } else { return false } }.count == 9
        }
        #expect(answered, "refused requests are answered unreachable at once")
        await node.stop()
    }

    @Test("a score lost is kept for the host across reconnects, within the ban period")
    func scoreSurvivesReconnect() async throws {
        let node = try await TestPeerNode.start(index: 0, configuration: TestNetwork.configuration())
        let raw = try await RawPeer.connect(to: node.address, from: "127.0.0.50")
        try await raw.handshake()
        let items = (0..<2_001).map { InventoryItem(kind: .block, hash: Hash256(bytes: Array(repeating: UInt8($0 % 251), count: 32))!) }
        try await raw.send(.getdata(items))
        try await Poll.until("node.network.peers().first?.score == 80", timeout: 10) { node.network.peers().first?.score == 80 }
        await raw.close()
        try await Poll.until("node.network.peers().isEmpty", timeout: 10) { node.network.peers().isEmpty }
        let again = try await RawPeer.connect(to: node.address, from: "127.0.0.50")
        try await again.handshake()
        try await Poll.until("a score of 80 (scores: \(node.network.peers().map(\.score)))", timeout: 10) { node.network.peers().first?.score == 80 }
        let other = try await RawPeer.connect(to: node.address, from: "127.0.0.51")
        try await other.handshake()
        try await Poll.until("a peer from another host at a clean score of 100", timeout: 10) { node.network.peers().contains { $0.score == 100 } }
        await node.stop()
    }

    @Test("getdata for more than 2,000 objects costs score; addresses that are not IP literals are not learned")
    func oversizedRequests() async throws {
        var config = TestNetwork.configuration()
        config.discovery = true
        let node = try await TestPeerNode.start(index: 0, configuration: config)
        let raw = try await RawPeer.connect(to: node.address, from: "127.0.0.20")
        try await raw.handshake()
        let items = (0..<2_001).map { InventoryItem(kind: .block, hash: Hash256(bytes: Array(repeating: UInt8($0 % 251), count: 32))!) }
        try await raw.send(.getdata(items))
        try await raw.send(
            .addr([
                PeerAddress(host: "attacker.example", port: 9333, lastSeen: 0),
                PeerAddress(host: "127.1.2.3", port: 9333, lastSeen: 0),
            ]))
        let charged = await Poll.holds(within: 10) { node.network.peers().first?.score == 80 }
        #expect(charged, "score \(String(describing: node.network.peers().first?.score))")
        let learned = await Poll.holds(within: 10) { node.network.exportPeers().contains { $0.host == "127.1.2.3" } }
        #expect(learned)
        #expect(!node.network.exportPeers().contains { $0.host == "attacker.example" })
        #expect(!raw.isClosed)
        await node.stop()
    }

    @Test("bans are persisted with their expiry: a restarted node still refuses the host")
    func bansSurviveRestart() async throws {
        let directory = TemporaryDirectory("banned")
        var node: TestPeerNode? = try await TestPeerNode.start(index: 0, configuration: TestNetwork.configuration(), directory: directory)
        let raw = try await RawPeer.connect(to: node!.address, from: "127.0.0.9")
        try await raw.send(bytes: Message.ping(1).frame.encoded(magic: Network.main.magic))
        #expect(await raw.waitClosed(timeout: 10))
        await node!.stop()
        node = try await TestPeerNode.start(index: 0, configuration: TestNetwork.configuration(), directory: directory)
        #expect(node!.network.health().bannedHosts == 1)
        let again = try await RawPeer.connect(to: node!.address, from: "127.0.0.9")
        #expect(await again.waitClosed(timeout: 5))
        #expect(node!.metric("keel_p2p_inbound_rejected_total{reason=\"banned\"}") == 1)
        // Another host is served.
        let other = try await RawPeer.connect(to: node!.address, from: "127.0.0.10")
        try await other.handshake()
        #expect(!other.isClosed)
        await node!.stop()
    }

}
