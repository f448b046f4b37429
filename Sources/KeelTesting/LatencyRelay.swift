import KeelP2P
import NIOCore
import NIOPosix

/// A TCP relay on loopback that holds every byte for `delay` in each direction before passing
/// it on, in order: a link with that much added latency, for the sync benchmark. (Linux's `tc
/// netem` would do it in the kernel, but its module is not on every machine this runs on.)
/// A node dials `address` instead of the peer behind it.
public final class LatencyRelay: Sendable {
    /// `host:port` to dial.
    public let address: String
    let listener: any Channel

    private init(address: String, listener: any Channel) {
        self.address = address
        self.listener = listener
    }

    /// A relay listening on `host` (a loopback address) that forwards each connection to
    /// `target` (`host:port`, loopback) with `delay` added each way.
    public static func start(to target: String, delay: TimeAmount, host: String = "127.0.0.1") async throws -> LatencyRelay {
        guard let (targetHost, targetPort) = P2PConfiguration.parse(target) else { throw PollTimeout(what: "a valid address, not \(target)") }
        let targetAddress = try SocketAddress(ipAddress: targetHost, port: Int(targetPort))
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in
                // Initialisers run on the channel's event loop; the outbound leg is made on the
                // same loop, so both forwarders are only ever touched from it.
                let forward = DelayedForwarder(delay: delay)
                do { try inbound.pipeline.syncOperations.addHandler(forward) } catch { return inbound.eventLoop.makeFailedFuture(error) }
                let bound = NIOLoopBound(forward, eventLoop: inbound.eventLoop)
                return ClientBootstrap(group: inbound.eventLoop)
                    .channelInitializer { outbound in
                        outbound.eventLoop.makeCompletedFuture {
                            try outbound.pipeline.syncOperations.addHandler(DelayedForwarder(delay: delay, partner: inbound))
                        }
                    }
                    .connect(to: targetAddress)
                    .map { outbound in bound.value.attach(outbound, on: inbound.eventLoop) }
            }
            .bind(host: host, port: 0).get()
        return LatencyRelay(address: "\(host):\(listener.localAddress?.port ?? 0)", listener: listener)
    }

    /// Stops accepting; connections already relayed end with their peers.
    public func stop() async { try? await listener.close() }
}

/// One direction of a relayed connection: what it reads waits `delay`, then goes to `partner`
/// in arrival order. Used only on its channel's event loop (NIO's rule for handlers); the
/// closures it schedules carry it in a `NIOLoopBound`, which checks that.
final class DelayedForwarder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let delay: TimeAmount
    private var partner: (any Channel)?
    private var pending: [(due: NIODeadline, bytes: ByteBuffer)] = []
    private var flushScheduled = false
    private var ended = false
    private var loop: (any EventLoop)?

    init(delay: TimeAmount, partner: (any Channel)? = nil) {
        self.delay = delay
        self.partner = partner
    }

    /// Sets the other leg once it is connected; what arrived meanwhile goes out when due.
    func attach(_ partner: any Channel, on loop: any EventLoop) {
        self.partner = partner
        self.loop = loop
        scheduleFlush()
    }

    func handlerAdded(context: ChannelHandlerContext) { loop = context.eventLoop }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append((.now() + delay, unwrapInboundIn(data)))
        scheduleFlush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        ended = true
        scheduleFlush()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }

    private func scheduleFlush() {
        guard !flushScheduled, let loop, partner != nil else { return }
        if pending.isEmpty {
            if ended { partner?.close(promise: nil) }
            return
        }
        flushScheduled = true
        let bound = NIOLoopBound(self, eventLoop: loop)
        loop.scheduleTask(deadline: pending[0].due) { bound.value.flushDue() }
    }

    private func flushDue() {
        flushScheduled = false
        guard let partner else { return }
        let now = NIODeadline.now()
        var wrote = false
        while let first = pending.first, first.due <= now {
            partner.write(first.bytes, promise: nil)
            pending.removeFirst()
            wrote = true
        }
        if wrote { partner.flush() }
        scheduleFlush()
    }
}
