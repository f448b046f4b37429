import NIOCore

/// Turns the TCP byte stream into `Frame`s and back. A malformed frame raises the
/// `FrameError` down the pipeline, which ends the connection's inbound stream with it.
final class FrameHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = Frame
    typealias OutboundIn = Frame
    typealias OutboundOut = ByteBuffer

    private var decoder: FrameDecoder
    private let magic: UInt32
    private var failed = false

    init(magic: UInt32) {
        self.magic = magic
        decoder = FrameDecoder(magic: magic, beforeHandshake: Frame.maxHandshakePayload)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        do {
            for frame in try decoder.feed(bytes) { context.fireChannelRead(wrapInboundOut(frame)) }
        } catch {
            failed = true
            context.fireErrorCaught(error)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data).encoded(magic: magic)
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }
}
