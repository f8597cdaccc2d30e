import CCOGateway
import NIOCore
import NIOHTTP1

/// Last in a connection's pipeline: collects each request, head and body, as NIO's HTTP/1 decoder
/// reads it, and answers it in a task of its own on the serving loop, one request at a time, in
/// NIO's HTTP/1 types (the server converts them for the routes that need Hummingbird's).
///
/// The body is read whole before the request is answered: every route of the daemon reads its body
/// whole first (the gateway to check and forward it), and a request no longer has to be pulled part
/// by part through an async sequence. A body larger than `bodyLimit()` is kept only to one byte past
/// the limit (the route refuses it, as `413` for the gateway) and the rest is read and dropped.
///
/// Requests a client sends before the previous answer has ended (pipelining) wait here, in order;
/// while more than ``queuedBytesLimit`` of them wait, the connection stops reading. A connection is
/// closed after the answer to a request that asked for it (`Connection: close`), once its client has
/// shut its side and everything it sent whole has been answered (a request it left unfinished is
/// dropped), and after a malformed request (`400`).
/// A client that sends nothing for `idleTimeout`, between requests or in the middle of one, is
/// disconnected; one waiting for its answer never is. When the server stops accepting, the
/// connection is drained politely (``ConnectionDrain``).
///
/// It writes its answers' bytes itself, each head in one pass (``MessageHead``), framed for the
/// request it answers (``ResponseFraming``): an answer to `HEAD` without its body, one of unknown
/// length in chunks, or to an HTTP/1.0 client until the connection closes.
final class RequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = IOData
    /// Writes the response to `request` on the channel, the end included.
    typealias Respond = @Sendable (ClientRequest, any Channel) async -> Void

    /// Bytes of pipelined requests held before the connection stops reading.
    static let queuedBytesLimit = 64 << 10
    /// The most a body's buffer is made larger than what has arrived, whatever its head announces.
    static let largestAllocationAhead = 4 << 20
    /// A chunk this small is sent in one buffer with its size line and CRLF, not as three writes.
    static let largestCopiedChunk = 2048
    private static let crlf = ByteBuffer(string: "\r\n")
    private static let lastChunk = ByteBuffer(string: "0\r\n\r\n")
    /// Written for a promise that has nothing to write, so that it is completed in order.
    private static let nothing = ByteBuffer()
    private static let badRequest = ByteBuffer(string: "HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")

    private enum State {
        case idle
        /// A request's head is read; `body` holds at most one byte past `limit`.
        case reading(HTTPRequestHead, body: ByteBuffer?, limit: Int)
        case responding
    }

    private let respond: Respond
    private let bodyLimit: @Sendable () -> Int
    private let executor: ServingLoopExecutor
    private let idleTimeout: TimeAmount
    private let drain: ConnectionDrain
    private var state = State.idle
    /// When the client last sent something, or its last answer ended (or the connection began).
    private var lastActivity = NIODeadline.uptimeNanoseconds(0)
    /// One check per connection, not one per request: it closes the connection once the client has
    /// been silent for `idleTimeout` while not waiting for an answer, and otherwise comes back when
    /// that could next be true (or, while an answer is written, is made again when it ends).
    private var idleCheck: Scheduled<Void>?
    /// Parts read while an answer is being written, in order.
    private var queued = CircularBuffer<HTTPServerRequestPart>()
    private var queuedBytes = 0
    /// A read the channel asked for while too much was queued: passed on once the queue drains.
    private var readHeld = false
    /// The client asked for the connection to close after this answer, or shut its side.
    private var closeAfterResponse = false
    private var inputClosed = false
    /// The request being answered, for its answer's framing, and that framing once its head is written.
    private var answering: (method: HTTPMethod, version: HTTPVersion) = (.GET, .http1_1)
    private var framing = ResponseFraming.length

    init(executor: ServingLoopExecutor, idleTimeout: TimeAmount, drain: ConnectionDrain, bodyLimit: @escaping @Sendable () -> Int,
         respond: @escaping Respond) {
        self.executor = executor
        self.idleTimeout = idleTimeout
        self.drain = drain
        self.bodyLimit = bodyLimit
        self.respond = respond
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The idle timeout counts from the connection's start until the client first sends.
        if context.channel.isActive { restartIdleClock(context) }
        drain.added(context)
    }

    func channelActive(context: ChannelHandlerContext) {
        restartIdleClock(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        drain.removed()
    }

    /// The connection began, or its answer ended: silent from now, it is closed after `idleTimeout`.
    private func restartIdleClock(_ context: ChannelHandlerContext) {
        lastActivity = context.eventLoop.now
        scheduleIdleCheck(context, at: lastActivity + idleTimeout)
    }

    private func scheduleIdleCheck(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        guard idleCheck == nil else { return }
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            idleCheck = nil
            // An answer is being written: the check is made again as it ends.
            if isResponding { return }
            let due = lastActivity + idleTimeout
            if context.eventLoop.now >= due {
                context.close(promise: nil)
            } else {
                scheduleIdleCheck(context, at: due)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        lastActivity = context.eventLoop.now
        if case .head = part { drain.requestBegan() }
        if isResponding || !queued.isEmpty {
            queue(part)
        } else {
            handle(part, context: context)
        }
    }

    private func queue(_ part: HTTPServerRequestPart) {
        if case .body(let buffer) = part { queuedBytes += buffer.readableBytes }
        queued.append(part)
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        // By the part, then the state: a `switch` over the pair would copy the state, and with it
        // a second reference to the body, for as long as the switch runs.
        switch part {
        case .head(let head):
            guard case .idle = state else { return context.close(promise: nil) }
            state = .reading(head, body: nil, limit: bodyLimit())
        case .body(let buffer):
            guard case .reading(let head, var body, let limit) = state else { return context.close(promise: nil) }
            // The state lets go of the body first, so that the part is written to it in place: a
            // buffer with two references is copied by a write (the whole body so far, at every part).
            state = .idle
            Self.append(buffer, to: &body, limit: limit, of: head)
            state = .reading(head, body: body, limit: limit)
        case .end:
            guard case .reading(let head, let body, _) = state else { return context.close(promise: nil) }
            state = .responding
            answer(head, body: body, context: context)
        }
    }

    /// Adds `buffer` to the body so far, up to one byte past `limit`. A body that comes in one part
    /// is that part, not a copy. One that comes in more is written, from its second part, into one
    /// buffer of the size its head announces (up to ``largestAllocationAhead`` past what has come):
    /// each byte is copied once, and the buffer is mapped once (its pages are faulted in as they are
    /// written, so it holds about what has arrived). A body of unannounced length grows by a quarter
    /// at a time. (Growing by a quarter whatever the length copied a 200 KB body five times over in
    /// a dozen buffers, and with them faulted in fresh pages: 60 µs more per call,
    /// docs/benchmarks.md; a burst of 1024 such requests peaked as high either way.)
    @inline(never)
    static func append(_ buffer: ByteBuffer, to body: inout ByteBuffer?, limit: Int, of head: HTTPRequestHead) {
        let room = limit + 1 - (body?.readableBytes ?? 0)
        guard room > 0 else { return }
        let part = buffer.readableBytes <= room ? buffer : buffer.getSlice(at: buffer.readerIndex, length: room)!
        // Taken out, so that `whole` is the body's one reference and is written in place.
        guard var whole = body.take() else {
            body = part
            return
        }
        if whole.writableBytes < part.readableBytes {
            let needed = whole.readableBytes + part.readableBytes
            var wanted = max(needed, whole.readableBytes + whole.readableBytes / 4)
            if let announced = head.headers.first(name: "content-length").flatMap({ Int($0) }), announced >= needed {
                // A client that announces more than it sends gets at most this much ahead of it.
                wanted = min(announced, needed + Self.largestAllocationAhead)
            }
            var grown = ByteBufferAllocator().buffer(capacity: min(wanted, limit + 1))
            grown.writeImmutableBuffer(whole)
            whole = grown
        }
        whole.writeImmutableBuffer(part)
        body = whole
    }

    private func answer(_ head: HTTPRequestHead, body: ByteBuffer?, context: ChannelHandlerContext) {
        // NIO's decoder has read the `Connection` header for this: false after `close`, or for
        // HTTP/1.0 without `keep-alive`.
        if !head.isKeepAlive { closeAfterResponse = true }
        answering = (head.method, head.version)
        let request = ClientRequest(head: head, body: body)
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

    /// The response's parts as bytes: a draining connection's last answer says so in its head,
    /// and closes the connection after its end, as does one framed by the connection's close.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head):
            drain.writing(&head)
            var buffer = context.channel.allocator.buffer(capacity: 0)
            framing = buffer.writeResponseHead(head, answering: answering.method, version: answering.version)
            context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
        case .body(let part):
            switch framing {
            case .none:
                context.write(wrapOutboundOut(.byteBuffer(Self.nothing)), promise: promise)
            case .length, .close:
                context.write(wrapOutboundOut(part), promise: promise)
            case .chunked:
                writeChunk(part, context: context, promise: promise)
            }
        case .end(let trailers):
            let closes = drain.ending(context) || framing == .close
            let last: ByteBuffer?
            switch framing {
            case .chunked:
                if let trailers {
                    var block = context.channel.allocator.buffer(capacity: 0)
                    block.writeLastChunk(trailers: trailers)
                    last = block
                } else {
                    last = Self.lastChunk
                }
            case .none, .length, .close:
                last = promise != nil || closes ? Self.nothing : nil
            }
            if let last {
                if closes {
                    context.writeAndFlush(wrapOutboundOut(.byteBuffer(last)), promise: promise)
                } else {
                    context.write(wrapOutboundOut(.byteBuffer(last)), promise: promise)
                }
            }
            if closes { context.close(promise: nil) }
        }
    }

    /// A body part as a chunk: its size line, the part and a CRLF. A small part is copied in
    /// between the two, a large one (or a file's region) goes as it is, between two writes.
    private func writeChunk(_ part: IOData, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        let size = part.readableBytes
        // An empty chunk would end the body: nothing is written but the promise, in order.
        guard size > 0 else { return context.write(wrapOutboundOut(part), promise: promise) }
        var sizeLine = context.channel.allocator.buffer(capacity: size <= Self.largestCopiedChunk ? size + 24 : 24)
        sizeLine.writeChunkSize(size)
        if size <= Self.largestCopiedChunk, case .byteBuffer(let bytes) = part {
            sizeLine.writeImmutableBuffer(bytes)
            sizeLine.writeImmutableBuffer(Self.crlf)
            context.write(wrapOutboundOut(.byteBuffer(sizeLine)), promise: promise)
        } else {
            context.write(wrapOutboundOut(.byteBuffer(sizeLine)), promise: nil)
            context.write(wrapOutboundOut(part), promise: nil)
            context.write(wrapOutboundOut(.byteBuffer(Self.crlf)), promise: promise)
        }
    }

    /// The answer's end has been written: the next request, if one waits.
    private func answered(context: ChannelHandlerContext) {
        state = .idle
        guard context.channel.isActive else { return }
        restartIdleClock(context)
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
        if event is ChannelShouldQuiesceEvent {
            // The server stopped accepting: not passed on, nothing else closes the connection at once.
            return drain.startDraining(context)
        }
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
        guard let error = error as? HTTPParserError else {
            context.close(promise: nil)
            return
        }
        if error == .invalidEOFState {
            // The client shut its side in the middle of a request, which will never end: it is dropped
            // unanswered, whether or not the one before is still being answered.
            queued.removeAll()
            queuedBytes = 0
            inputClosed = true
            if isResponding { closeAfterResponse = true } else { context.close(promise: nil) }
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
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(Self.badRequest)), promise: nil)
        context.close(promise: nil)
    }
}

extension ChannelPipeline.SynchronousOperations {
    /// A client connection's HTTP/1 handlers: NIO's request decoder, then `handler`, which answers
    /// each request and writes its answer's bytes.
    func addHTTPServerHandlers(_ handler: RequestHandler) throws {
        try addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        try addHandler(handler)
    }
}
