import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Last in a connection's pipeline: collects each request, head and body, and answers it in a task
/// of its own on the serving loop, one request at a time.
///
/// The body is read whole before the request is answered: every route of the daemon reads its body
/// whole first (the gateway to check and forward it), and a request no longer has to be pulled part
/// by part through an async sequence. A body larger than `bodyLimit()` is kept only to one byte past
/// the limit (the route refuses it, as `413` for the gateway) and the rest is read and dropped.
///
/// Requests a client sends before the previous answer has ended (pipelining) wait here, in order;
/// while more than ``queuedBytesLimit`` of them wait, the connection stops reading. A connection is
/// closed after the answer to a request that asked for it (`Connection: close`), once its client has
/// shut its side and everything it sent has been answered, and after a malformed request (`400`).
/// Idle connections are closed by `HTTPConnectionStateHandler` before it; draining ones by
/// ``DrainHandler``.
final class RequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart
    /// Writes the response to `request` on the channel, the end included.
    typealias Respond = @Sendable (Request, any Channel) async -> Void

    /// Bytes of pipelined requests held before the connection stops reading.
    static let queuedBytesLimit = 64 << 10
    /// A body announced larger than this gets a buffer of this size to start with: no more is
    /// taken on the header's word alone.
    static let largestPresizedBody = 4 << 20

    private enum State {
        case idle
        /// A request's head is read; `body` holds at most one byte past `limit`.
        case reading(HTTPRequest, body: ByteBuffer?, limit: Int)
        case responding
    }

    private let respond: Respond
    private let bodyLimit: @Sendable () -> Int
    private let executor: ServingLoopExecutor
    private var state = State.idle
    /// Parts read while an answer is being written, in order.
    private var queued = CircularBuffer<HTTPRequestPart>()
    private var queuedBytes = 0
    /// A read the channel asked for while too much was queued: passed on once the queue drains.
    private var readHeld = false
    /// The client asked for the connection to close after this answer, or shut its side.
    private var closeAfterResponse = false
    private var inputClosed = false

    init(executor: ServingLoopExecutor, bodyLimit: @escaping @Sendable () -> Int, respond: @escaping Respond) {
        self.executor = executor
        self.bodyLimit = bodyLimit
        self.respond = respond
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if isResponding || !queued.isEmpty {
            queue(part)
        } else {
            handle(part, context: context)
        }
    }

    private func queue(_ part: HTTPRequestPart) {
        if case .body(let buffer) = part { queuedBytes += buffer.readableBytes }
        queued.append(part)
    }

    private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch (part, state) {
        case (.head(let head), .idle):
            state = .reading(head, body: nil, limit: bodyLimit())
        case (.body(let buffer), .reading(let head, let body, let limit)):
            state = .reading(head, body: Self.appending(buffer, to: body, limit: limit, of: head), limit: limit)
        case (.end, .reading(let head, let body, _)):
            state = .responding
            answer(head, body: body, context: context)
        default:
            // The codec hands on only head, body…, end: anything else is a connection gone wrong.
            context.close(promise: nil)
        }
    }

    /// The body so far with `buffer` after it, up to one byte past `limit`. A body that comes in one
    /// part is that part, not a copy; one that comes in more gets a buffer of the size its head
    /// announces (a body of 200 KB grown from its first part would take 256 KB, copied at each
    /// doubling), and one that outgrows it (or announces none) doubles.
    @inline(never)
    private static func appending(_ buffer: ByteBuffer, to body: ByteBuffer?, limit: Int, of head: HTTPRequest) -> ByteBuffer {
        guard var body else {
            return buffer.readableBytes <= limit ? buffer : buffer.getSlice(at: buffer.readerIndex, length: limit + 1)!
        }
        let room = limit + 1 - body.readableBytes
        guard room > 0 else { return body }
        let part = buffer.readableBytes <= room ? buffer : buffer.getSlice(at: buffer.readerIndex, length: room)!
        if body.writableBytes < part.readableBytes {
            let announced = head.headerFields[.contentLength].flatMap { Int($0) } ?? 0
            let needed = body.readableBytes + part.readableBytes
            let wanted = max(min(announced, largestPresizedBody), needed, 2 * body.readableBytes)
            var grown = ByteBufferAllocator().buffer(capacity: min(wanted, limit + 1))
            grown.writeImmutableBuffer(body)
            body = grown
        }
        body.writeImmutableBuffer(part)
        return body
    }

    private func answer(_ head: HTTPRequest, body: ByteBuffer?, context: ChannelHandlerContext) {
        if let connection = head.headerFields[.connection], connection.lowercased().contains("close") {
            closeAfterResponse = true
        }
        let request = Request(head: head, body: body.map { RequestBody(asyncSequence: HandedOverBody($0)) } ?? RequestBody(buffer: ByteBuffer()))
        let channel = context.channel
        let respond = self.respond
        let finished = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        Task(executorPreference: executor) {
            await respond(request, channel)
            if channel.eventLoop.inEventLoop {
                finished.value.0.answered(context: finished.value.1)
            } else {
                channel.eventLoop.execute { finished.value.0.answered(context: finished.value.1) }
            }
        }
    }

    /// The answer's end has been written: the next request, if one waits.
    private func answered(context: ChannelHandlerContext) {
        state = .idle
        guard context.channel.isActive else { return }
        if closeAfterResponse {
            context.close(promise: nil)
            return
        }
        while let part = queued.popFirst() {
            if case .body(let buffer) = part { queuedBytes -= buffer.readableBytes }
            handle(part, context: context)
            if isResponding { break }
        }
        if inputClosed, queued.isEmpty, !isResponding {
            // Nothing more will come: a request begun here will never end.
            context.close(promise: nil)
            return
        }
        if readHeld, queuedBytes <= Self.queuedBytesLimit {
            readHeld = false
            context.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        if queuedBytes > Self.queuedBytesLimit {
            readHeld = true
        } else {
            context.read()
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // The client has sent all it will: what it sent whole is answered, then the connection closes.
        inputClosed = true
        if queued.isEmpty, !isResponding { context.close(promise: nil) }
    }

    private var isResponding: Bool {
        if case .responding = state { true } else { false }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard error is HTTPParserError else {
            context.close(promise: nil)
            return
        }
        // Nothing after a malformed request can be trusted: what is being answered ends the connection.
        queued.removeAll()
        queuedBytes = 0
        if isResponding {
            closeAfterResponse = true
            return
        }
        state = .responding
        let head = HTTPResponse(status: .badRequest, headerFields: [.connection: "close", .contentLength: "0"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.close(promise: nil)
    }
}
