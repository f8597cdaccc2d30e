import NIOCore
import NIOHTTP1
import NIOTLS

/// One request for the upstream: its head, with the target's path and `Host`, and its body.
struct UpstreamRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
}

/// Who is told how a call on an ``UpstreamConnection`` goes. Every method is called on the
/// connection's event loop. Returning a future from `received` holds the connection's reads back
/// until it completes (a stream whose client is slower than its upstream); `nil` reads on.
protocol UpstreamCallReceiver: AnyObject {
    func received(_ head: HTTPResponseHead) -> EventLoopFuture<Void>?
    func received(_ part: ByteBuffer) -> EventLoopFuture<Void>?
    /// The answer has arrived whole; the connection has gone back to its pool, or closed.
    func ended()
    /// The call failed (`.silent`: nothing came for its silence limit); the connection is closing.
    func failed(_ error: UpstreamError)
}

/// A keep-alive HTTP/1.1 connection to the upstream, carrying one call at a time. It belongs to
/// an ``UpstreamPool`` and is used on its event loop only.
final class UpstreamConnection: Sendable {
    let channel: any Channel
    /// The pool's key for the origin it is connected to.
    let origin: String
    private let handler: NIOLoopBound<Handler>

    fileprivate init(channel: any Channel, origin: String, handler: Handler) {
        self.channel = channel
        self.origin = origin
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    }

    /// Sends `request` and reports to `receiver` until the call ends; the call fails as `.silent`
    /// once the upstream has sent nothing for `silenceLimit` since the request was handed over or
    /// since the last part of its answer (`upstream_timeout`).
    func send(_ request: UpstreamRequest, to receiver: any UpstreamCallReceiver, silenceLimit: TimeAmount) {
        handler.value.send(request, to: receiver, silenceLimit: silenceLimit)
    }

    /// Whether a call has been sent on it before: it has idled in its pool since, and the upstream
    /// (or a router between) may have closed it just as the next request goes out.
    var hasCarriedACall: Bool { handler.value.callsSent > 0 }

    /// Over TLS: `body` learns whether the handshake completed within `timeout`; a connection is
    /// handed to a call only then, so that a handshake that never ends fails as a connect would.
    func whenHandshakeDone(within timeout: TimeAmount, _ body: @escaping @Sendable (Result<Void, UpstreamError>) -> Void) {
        handler.value.awaitHandshake(within: timeout, body)
    }

    /// Ends the call in progress without telling its receiver, which gave it up, and closes.
    func abandon() {
        handler.value.receiver = nil
        channel.close(promise: nil)
    }

    /// The pipeline that reads and writes HTTP/1.1 over `channel` (after TLS, when there is one),
    /// and the connection it makes.
    static func attach(to channel: any Channel, origin: String, pool: UpstreamPool) throws -> UpstreamConnection {
        let operations = channel.pipeline.syncOperations
        try operations.addHandler(RequestEncoder())
        // The decoder sees each request's head on its way out, for the method (an answer to `HEAD`
        // has no body).
        try operations.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .fireError)))
        let handler = Handler(pool: pool)
        try operations.addHandler(handler)
        let connection = UpstreamConnection(channel: channel, origin: origin, handler: handler)
        handler.connection = connection
        return connection
    }

    /// Writes a request's head in one pass (``MessageHead``), and its body as it is. Its framing is
    /// the head's own (`Gateway.upstreamRequest`: a body's `Content-Length`, never a client's
    /// `Transfer-Encoding`), so no field is looked for, added or removed.
    fileprivate final class RequestEncoder: ChannelOutboundHandler {
        typealias OutboundIn = HTTPClientRequestPart
        typealias OutboundOut = IOData
        private static let nothing = ByteBuffer()

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            switch unwrapOutboundIn(data) {
            case .head(let head):
                var buffer = context.channel.allocator.buffer(capacity: 0)
                buffer.writeRequestHead(head)
                context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
            case .body(let part):
                context.write(wrapOutboundOut(part), promise: promise)
            case .end:
                // Nothing to write; the promise is completed in order behind the body.
                if let promise { context.write(wrapOutboundOut(.byteBuffer(Self.nothing)), promise: promise) }
            }
        }
    }

    /// The end of the pipeline: hands the answer's parts to the call's receiver, holds reads back
    /// while the receiver asks it to, and fails a call the upstream has gone silent on.
    fileprivate final class Handler: ChannelDuplexHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundIn = HTTPClientRequestPart
        typealias OutboundOut = HTTPClientRequestPart

        private let pool: UpstreamPool
        /// Set once, right after the handler joins its pipeline; nil again when the channel closes,
        /// so that the two let go of each other.
        var connection: UpstreamConnection?
        /// The call in progress; nil while the connection idles in its pool.
        var receiver: (any UpstreamCallReceiver)?
        private var context: ChannelHandlerContext?
        /// Kept after the handler leaves the pipeline (it does when the channel closes), for the
        /// parts still held then.
        private var channel: (any Channel)?
        private var headArrived = false
        private var requestWritten = false
        private(set) var callsSent = 0
        private var reusable = true
        /// Reads are held back until the receiver's last write is done.
        private var paused = false
        private var readWanted = false
        private var held = CircularBuffer<HTTPClientResponsePart>()
        private var failureAfterHeld: UpstreamError?
        /// Told when the TLS handshake ends, and its time limit.
        private var handshake: ((Result<Void, UpstreamError>) -> Void)?
        private var handshakeTimer: Scheduled<Void>?
        /// The call's `upstream_timeout`, and when the upstream last sent something for it (or its
        /// request was handed to the connection).
        private var silenceLimit = TimeAmount.zero
        private var lastHeard = NIODeadline.uptimeNanoseconds(0)
        /// One check per connection, not one per call: armed when a request is sent and none is,
        /// it fails the call once nothing has come for `silenceLimit`, otherwise comes back when
        /// that could next be true, and lapses while the connection idles in its pool.
        private var silenceCheck: (deadline: NIODeadline, scheduled: Scheduled<Void>)?

        init(pool: UpstreamPool) {
            self.pool = pool
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
            channel = context.channel
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            self.context = nil
            silenceCheck?.scheduled.cancel()
            silenceCheck = nil
        }

        func awaitHandshake(within timeout: TimeAmount, _ body: @escaping (Result<Void, UpstreamError>) -> Void) {
            guard let context else { return body(.failure(.closedBeforeAnswer)) }
            handshake = body
            handshakeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
                self.settleHandshake(.failure(.connectTimeout))
                self.channel?.close(promise: nil)
            }
        }

        private func settleHandshake(_ result: Result<Void, UpstreamError>) {
            guard let handshake else { return }
            self.handshake = nil
            handshakeTimer?.cancel()
            handshakeTimer = nil
            handshake(result)
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls { settleHandshake(.success(())) }
            context.fireUserInboundEventTriggered(event)
        }

        func send(_ request: UpstreamRequest, to receiver: any UpstreamCallReceiver, silenceLimit: TimeAmount) {
            guard let context else {
                receiver.failed(.closedBeforeAnswer)
                return
            }
            self.receiver = receiver
            self.silenceLimit = silenceLimit
            callsSent += 1
            headArrived = false
            // Empty after a call that ended well: `removeAll` would make it a new buffer.
            if !held.isEmpty { held.removeAll() }
            failureAfterHeld = nil
            requestWritten = false
            reusable = request.head.isKeepAlive
            context.write(wrapOutboundOut(.head(request.head)), promise: nil)
            if let body = request.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
            let sent = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: sent)
            // From the request's hand-over, not from its last byte's write: an upstream that stops
            // reading a body larger than the sockets hold is silent too.
            lastHeard = .now()
            checkForSilence(context, at: lastHeard + silenceLimit)
            sent.futureResult.assumeIsolated().whenComplete { result in
                guard self.receiver != nil else { return }
                switch result {
                case .success:
                    self.requestWritten = true
                case .failure(let error):
                    // An upstream may answer before it has read the whole request (a refusal) and
                    // close: once its answer has begun, the reads decide how the call ends.
                    if !self.headArrived { self.fail(UpstreamError.onConnection(error, afterHead: false)) }
                }
            }
        }

        /// Arms the check for `deadline`, unless one is armed for then or earlier (a call after one
        /// with a longer limit, a reload having lowered it, moves it nearer).
        private func checkForSilence(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
            if let armed = silenceCheck {
                guard deadline < armed.deadline else { return }
                armed.scheduled.cancel()
            }
            let scheduled = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
                silenceCheck = nil
                // Idle in the pool: nothing is owed.
                guard receiver != nil else { return }
                let due = lastHeard + silenceLimit
                if NIODeadline.now() >= due {
                    fail(.silent)
                } else {
                    checkForSilence(context, at: due)
                }
            }
            silenceCheck = (deadline, scheduled)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let part = unwrapInboundIn(data)
            // One read can carry several parts: those after a part the receiver is not ready for
            // wait here, in order.
            if paused { held.append(part) } else { deliver(part) }
        }

        private func deliver(_ part: HTTPClientResponsePart) {
            guard let receiver else {
                // Nothing is owed on an idle connection: whatever comes is not for any call.
                if case .end = part { return }
                channel?.close(promise: nil)
                return
            }
            switch part {
            case .head(let head):
                lastHeard = .now()
                headArrived = true
                reusable = reusable && head.isKeepAlive
                hold(until: receiver.received(head))
            case .body(let buffer):
                lastHeard = .now()
                hold(until: receiver.received(buffer))
            case .end:
                self.receiver = nil
                // Reused only if both sides are done with it: an answer that came before the whole
                // request had been written leaves the rest of it on the connection.
                if reusable, requestWritten, let connection, connection.channel.isActive {
                    pool.release(connection)
                } else {
                    channel?.close(promise: nil)
                }
                receiver.ended()
            }
        }

        func read(context: ChannelHandlerContext) {
            if paused { readWanted = true } else { context.read() }
        }

        private func hold(until written: EventLoopFuture<Void>?) {
            guard let written else { return }
            paused = true
            written.assumeIsolated().whenComplete { _ in self.resume() }
        }

        private func resume() {
            paused = false
            while !paused, let part = held.popFirst() { deliver(part) }
            guard !paused else { return }
            if let failure = failureAfterHeld {
                failureAfterHeld = nil
                fail(failure)
            } else if readWanted, let context {
                readWanted = false
                context.read()
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if handshake != nil {
                settleHandshake(.failure(UpstreamError.onConnection(error, afterHead: false)))
                context.close(promise: nil)
                return
            }
            failAfterHeld(UpstreamError.onConnection(error, afterHead: headArrived))
        }

        func channelInactive(context: ChannelHandlerContext) {
            settleHandshake(.failure(.tls("the upstream closed the connection during the handshake")))
            failAfterHeld(headArrived ? .cutShort : .closedBeforeAnswer)
            pool.closed(context.channel)
            connection = nil
            context.fireChannelInactive()
        }

        /// Fails the call, once the parts that arrived before the failure have been delivered: an
        /// answer that came whole just before its connection closed is still whole.
        private func failAfterHeld(_ error: UpstreamError) {
            if held.isEmpty { fail(error) } else if failureAfterHeld == nil { failureAfterHeld = error }
        }

        private func fail(_ error: UpstreamError) {
            let receiver = self.receiver
            self.receiver = nil
            channel?.close(promise: nil)
            receiver?.failed(error)
        }
    }
}
