import Foundation
import KeelCore
import KeelP2P
import NIOCore
import NIOPosix
import Synchronization

/// A hand-driven P2P connection for tests and benchmarks: it sends whatever bytes it is told
/// (well-formed or not), collects what arrives, and notices when the node closes it. It can
/// connect from another loopback source address (127.0.0.x), since bans are per host.
public final class RawPeer: Sendable {
    final class Box: Sendable {
        let received = Mutex<[UInt8]>([])
        let closed = Atomic<Bool>(false)
        /// Monotonic ns when a `verack` command first arrived (0: not yet): for handshake timing.
        let verackAt = Atomic<UInt64>(0)
    }

    /// The command field of a `verack` frame, searched for in arriving bytes.
    static let verackCommand: [UInt8] = Array("verack".utf8) + [0, 0, 0, 0, 0, 0]

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let box: Box
        init(box: Box) { self.box = box }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            let all = box.received.withLock { received -> [UInt8]? in
                received += bytes
                return box.verackAt.load(ordering: .relaxed) == 0 ? received : nil
            }
            if let all, all.count >= 16, Collector.contains(all, RawPeer.verackCommand) {
                box.verackAt.store(MonotonicTime.now(), ordering: .releasing)
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            box.closed.store(true, ordering: .releasing)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

        static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
            guard haystack.count >= needle.count else { return false }
            for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
                if Array(haystack[start..<(start + needle.count)]) == needle { return true }
            }
            return false
        }
    }

    let channel: any Channel
    let box: Box
    /// The network whose magic frames carry.
    public let network: Network
    private let decoder: Mutex<(FrameDecoder, offset: Int)>
    /// Pong nonces a test has collected (a scratch set for polling loops).
    public let pongs = Mutex<Set<UInt64>>([])

    private init(channel: any Channel, box: Box, network: Network) {
        self.channel = channel
        self.box = box
        self.network = network
        decoder = Mutex((FrameDecoder(magic: network.magic), 0))
    }

    /// The `i`th of many distinct loopback source hosts (127.0.1.1, 127.0.1.2, ... 127.0.255.250),
    /// for tests and benchmarks that open more connections than one host may hold
    /// (`--max-inbound-per-host`). 127.0.0.x stays for tests that name their hosts.
    public static func source(_ i: Int) -> String { "127.0.\(1 + (i / 250) % 255).\(1 + i % 250)" }

    /// Connects to `address` (`host:port`) from `source` (a loopback address).
    public static func connect(to address: String, from source: String = "127.0.0.1", network: Network = .dev) async throws -> RawPeer {
        guard let (host, port) = P2PConfiguration.parse(address) else { throw PollTimeout(what: "a valid address, not \(address)") }
        let box = Box()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(to: try SocketAddress(ipAddress: source, port: 0))
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(box: box)) } }
            .connect(host: host, port: Int(port)).get()
        return RawPeer(channel: channel, box: box, network: network)
    }

    /// Sends raw bytes.
    public func send(bytes: [UInt8]) async throws {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try await channel.writeAndFlush(buffer)
    }

    /// Sends a well-formed message.
    public func send(_ message: Message) async throws { try await send(bytes: message.frame.encoded(magic: network.magic)) }

    /// When the node's `verack` arrived (monotonic ns; 0: not yet).
    public var verackAt: UInt64 { box.verackAt.load(ordering: .acquiring) }

    /// Whether the node closed the connection.
    public var isClosed: Bool { box.closed.load(ordering: .acquiring) }

    /// Waits until the node closes the connection.
    public func waitClosed(timeout: Double) async -> Bool { await Poll.holds(within: timeout) { isClosed } }

    /// Messages received so far that were not yet returned.
    public func messages() -> [Message] {
        let bytes = box.received.withLock { $0 }
        return decoder.withLock { state in
            let fresh = Array(bytes[state.offset...])
            state.offset = bytes.count
            let frames = (try? state.0.feed(fresh)) ?? []
            return frames.compactMap { try? Message(frame: $0) }
        }
    }

    /// Sends `version`, answers the node's, and waits for its `verack`: the handshake done by hand.
    /// `clockOffset` (seconds) sets the time it claims, against this machine's clock.
    public func handshake(bestHeight: UInt64 = 0, clockOffset: Double = 0, timeout: Double = 10) async throws {
        let time = UInt64(max(0, (Date().timeIntervalSince1970 + clockOffset) * 1000))
        try await send(
            .version(
                VersionInfo(
                    network: network.name, genesis: network.genesis.hash, nonce: UInt64.random(in: 1...UInt64.max),
                    listenPort: 0, bestHeight: bestHeight, userAgent: "raw-peer/test", timestamp: time)))
        var sawVersion = false, sawVerack = false
        let done = await Poll.holds(within: timeout) {
            for message in messages() {
                if case .version = message { sawVersion = true }
                if case .verack = message { sawVerack = true }
            }
            return (sawVersion && sawVerack) || isClosed
        }
        guard done, !isClosed else { throw PollTimeout(what: "the handshake with the node") }
        try await send(.verack)
    }

    /// Closes the connection.
    public func close() async { try? await channel.close() }
}
