import CCOCore
import HTTPTypes
import CCOGateway
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import NIOPosix
import ServiceLifecycle

/// The daemon's HTTP/1.1 server: the gateway's routes and Hummingbird's router behind NIO's HTTP/1
/// codec, served on a listening socket the daemon already holds (bound by itself, inherited from
/// systemd, or handed over by the daemon it replaces), which Hummingbird's `Application` cannot do:
/// it always binds its own. A connection is a pipeline of channel handlers, with no task of its
/// own; each request is answered in a task on the serving loop (``RequestHandler``), which also
/// closes idle connections.
///
/// The gateway's routes (`/v1/messages` and the rest of the Messages API) are answered in NIO's
/// HTTP/1 types from the request's head to the answer's, behind the same-origin guard, with no
/// router, `Request` or `Response` between: they are every call Claude Code makes, and each of
/// those layers copied every header field once more. Every other route goes through the router.
///
/// On graceful shutdown it stops accepting (closing only its own descriptor: a socket that systemd's
/// fd store or the next daemon also holds keeps listening there) and drains: requests in progress,
/// streamed responses included, finish; keep-alive connections are closed politely (``ConnectionDrain``);
/// what is still open after `drain_timeout` is cut (``DrainCoordinator``). The service returns once
/// every connection has closed.
struct HTTPServerService<Responder: HTTPResponder>: Service where Responder.Context == ConnectionContext {
    let listener: ListeningSocket
    /// Accepts and serves every connection (the gateway's upstream connections are on it too).
    let loop: any EventLoop
    /// The Messages API's routes.
    let gateway: Gateway
    /// In front of the gateway's routes (the router's responder has its own).
    let sameOrigin: SameOriginGuard
    /// Every other route.
    let responder: Responder
    /// Counts, times and logs every answered request.
    let requests: RequestMetrics
    let serverName: String
    /// A client that stalls while sending a request, or idles between requests, is disconnected.
    let idleTimeout: TimeAmount
    /// How long an idle keep-alive connection is kept once draining begins (``ConnectionDrain``).
    let idleGrace: TimeAmount
    let logger: Logger
    /// Tracks connections; stops accepting and drains (the handoff uses it too).
    let drain: DrainCoordinator
    /// The largest request body read whole; a larger one is cut one byte past it, for the route to
    /// refuse (``RequestHandler``). Read as each request begins: a reload may change it.
    let bodyLimit: @Sendable () -> Int
    /// Who may connect over loopback (``PeerCheckHandler``).
    let peers: PeerPolicy
    /// Runs before the first accept: a process taking over waits here until the previous daemon
    /// has stopped accepting, so that the two never accept from the socket at once.
    let beforeAccepting: @Sendable () async -> Void
    /// Runs once the socket is being served, with its port.
    let onServing: @Sendable (Int) async -> Void

    /// What answering a request takes, shared by all of them: one reference in each request's task.
    final class Answering: Sendable {
        let gateway: Gateway
        let sameOrigin: SameOriginGuard
        let responder: Responder
        let requests: RequestMetrics
        let date = HTTPDate()
        let serverName: String
        let logger: Logger

        init(gateway: Gateway, sameOrigin: SameOriginGuard, responder: Responder, requests: RequestMetrics, serverName: String, logger: Logger) {
            (self.gateway, self.sameOrigin, self.responder, self.requests, self.serverName, self.logger) =
                (gateway, sameOrigin, responder, requests, serverName, logger)
        }
    }

    /// Writes the answer to `request`, its end included.
    private static func answer(_ request: ClientRequest, on channel: any Channel, with answering: Answering) async {
        if let target = request.target, let route = GatewayRoute(method: request.head.method, target: target) {
            await answer(request, at: target, route: route, on: channel, with: answering)
        } else {
            await answerFromRouter(request, on: channel, with: answering)
        }
    }

    // MARK: - The gateway's routes

    /// A whole answer leaves with its head in one write; a stream's head goes out with the
    /// stream's first event (usually in the upstream's first read), in one write, or alone in the
    /// flush queued here, which runs once the stream waits. The head is let go of once written,
    /// not kept for the minutes a stream takes.
    private static func answer(_ request: ClientRequest, at target: String, route: GatewayRoute, on channel: any Channel,
                               with answering: Answering) async {
        let started = ContinuousClock().now
        let response: GatewayResponse
        if let refusal = answering.sameOrigin.refusal(of: request.head) {
            response = refusal
        } else {
            response = await answering.gateway.answer(request, at: target, route: route, on: channel)
        }
        let status = Int(response.status.code)
        let body = write(consume response, on: channel, with: answering)
        answering.requests.answered(method: request.head.method.rawValue, target: request.head.uri, route: route.rawValue,
                                    status: status, since: started, logger: answering.logger)
        guard case .stream(let stream) = body else { return }
        channel.eventLoop.execute { channel.flush() }
        do {
            try await stream.relay()
            try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
        } catch {
            notWrittenWhole(error, on: channel, logger: answering.logger)
        }
    }

    /// Writes the response's head with the date and the server's name, and a whole body with its
    /// end (flushed), then lets the gateway record it; returns the body, for a stream to be relayed.
    @inline(never)
    private static func write(_ response: consuming GatewayResponse, on channel: any Channel, with answering: Answering) -> GatewayResponse.Body {
        response.headers.add(name: "date", value: answering.date.now)
        response.headers.add(name: "server", value: answering.serverName)
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: response.headers)),
                      promise: nil)
        if case .whole(let bytes) = response.body {
            channel.write(HTTPServerResponsePart.body(.byteBuffer(bytes)), promise: nil)
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            response.whenWritten?()
        }
        return response.body
    }

    /// The client left, the drain bound cut the connection, or the body failed (a stream the
    /// upstream cut): an answer not written whole ends its connection, so that the client sees it end.
    @inline(never)
    private static func notWrittenWhole(_ error: any Error, on channel: any Channel, logger: Logger) {
        logger.trace("the response was not written whole: \(error)")
        channel.close(promise: nil)
    }

    // MARK: - The router's routes

    /// The request as the router's routes see it. A client sends its path as it is (origin form,
    /// `/v1/...`): it is taken as it is, with no URL parser run over it; any other form (a proxy's
    /// absolute URL, `*`) is converted by NIOHTTPTypesHTTP1, which parses it. HTTPTypes takes the
    /// first `Host` field as the authority, out of the fields. The body is handed over once.
    /// A `HEAD` reaches the routes as a `GET`: its answer is the `GET`'s head (RFC 9110 §9.3.2).
    @inline(never)
    static func request(_ request: ClientRequest) throws -> Request {
        let head = request.head
        var converted: HTTPRequest
        if head.uri.utf8.first == UInt8(ascii: "/") {
            converted = HTTPRequest(method: try HTTPRequest.Method(head.method), scheme: "http", authority: head.headers.first(name: "host"),
                                    path: head.uri, headerFields: HTTPFields(head.headers, splitCookie: false))
        } else {
            converted = try HTTPRequest(head, secure: false, splitCookie: false)
        }
        if head.method == .HEAD { converted.method = .get }
        return Request(head: converted, body: request.takeBody().map { RequestBody(asyncSequence: HandedOverBody($0)) } ?? RequestBody(buffer: ByteBuffer()))
    }

    /// The responder's answer to one request. Its own async function: the context and everything
    /// the routes need are let go of before the response is written, which for a stream lasts minutes.
    /// What it does besides awaiting is in `@inline(never)` functions, out of the frame the
    /// request's task allocates and keeps.
    private static func respond(to request: Request, method: HTTPMethod, on channel: any Channel, with answering: Answering) async -> Response {
        let context = ConnectionContext(source: ApplicationRequestContextSource(channel: channel, logger: answering.logger))
        let started = ContinuousClock().now
        let response: Response
        do {
            response = try await answering.responder.respond(to: request, context: context)
        } catch {
            response = unhandled(error, logger: answering.logger)
        }
        answering.requests.answered(request, as: method.rawValue, context: context, status: response.status.code, since: started)
        return response
    }

    /// Writes the router's answer to `request`, its end included, as the gateway's are written.
    /// The answer to a `HEAD` is its head and end: its body is never run (the event stream's would
    /// not end), and what the body held (a subscription) is let go of with it.
    private static func answerFromRouter(_ request: ClientRequest, on channel: any Channel, with answering: Answering) async {
        let converted: Request
        do {
            converted = try Self.request(request)
        } catch {
            // A method HTTPTypes does not accept: nothing more of this connection can be answered.
            channel.close(promise: nil)
            return
        }
        var response = await respond(to: converted, method: request.head.method, on: channel, with: answering)
        channel.write(HTTPServerResponsePart.head(head(taking: &response, date: answering.date.now, server: answering.serverName)), promise: nil)
        guard request.head.method != .HEAD else {
            channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            return
        }
        do {
            if response.body.contentLength == nil {
                channel.eventLoop.execute { channel.flush() }
                try await response.body.write(ChannelBodyWriter(channel: channel))
            } else {
                try await response.body.write(UnflushedBodyWriter(channel: channel))
            }
        } catch {
            notWrittenWhole(error, on: channel, logger: answering.logger)
        }
    }

    @inline(never)
    private static func unhandled(_ error: any Error, logger: Logger) -> Response {
        logger.debug("unhandled error: \(error)")
        return Response(status: .internalServerError)
    }

    /// The response's head, with the date and the server's name. Its fields are taken out of
    /// `response` and grown to fit the two, not copied or doubled.
    @inline(never)
    private static func head(taking response: inout Response, date: String, server: String) -> HTTPResponseHead {
        var fields = HTTPFields()
        swap(&fields, &response.headers)
        fields.reserveCapacity(fields.count + 2)
        fields[.date] = date
        fields[.server] = server
        return HTTPResponseHead(HTTPResponse(status: response.status, headerFields: fields))
    }

    func run() async throws {
        let answering = Answering(gateway: gateway, sameOrigin: sameOrigin, responder: responder, requests: requests, serverName: serverName,
                                  logger: logger)
        let idleGrace = self.idleGrace
        let idleTimeout = self.idleTimeout
        let bodyLimit = self.bodyLimit
        let drain = self.drain
        let peers = self.peers
        let executor = ServingLoopExecutor(loop: loop)
        let respond: RequestHandler.Respond = { request, channel in
            await Self.answer(request, on: channel, with: answering)
        }
        await beforeAccepting()

        let server = try await ServerBootstrap(group: loop)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(drain.makeServerChannelHandler())
                }
            }
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            // A Claude Code connection stays open for hours, and NIO's defaults would keep up to
            // four 64 KB receive buffers on it after a request of hundreds of KB. One read at a
            // time, of at most 64 KB, and none of their buffers kept. (Reads of at most 16 KB took
            // 14 turns of the loop for a 217 KB request, 67 µs more per call; a burst of 1024
            // such requests peaked as high either way.)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 1)
            .childChannelOption(ChannelOptions.recvAllocator, value: UnkeptReceiveBuffers(minimum: 64, initial: 512, maximum: 65536))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(PeerCheckHandler(policy: peers))
                    try pipeline.addHTTPServerHandlers(RequestHandler(executor: executor, idleTimeout: idleTimeout,
                                                                      drain: ConnectionDrain(idleGrace: idleGrace, coordinator: drain),
                                                                      bodyLimit: bodyLimit, respond: respond))
                    drain.handling(channel)
                }
            }
            .withBoundSocket(NIOBSDSocket.Handle(listener.fd))
            .get()

        listener.restoreBacklog()
        drain.serving(server)
        let port = server.localAddress?.port ?? 0
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await onServing(port)
                // Connections are served until the server channel closes: as the drain begins, or
                // on a handoff.
                try? await server.closeFuture.get()
                // Closed by a handoff: the group's shutdown, which the handoff triggers next, drains
                // the connections. Returning before it would end the group as if this had failed,
                // and cancel every request in progress.
                if drain.hasStoppedAccepting { try? await gracefulShutdown() }
                await drain.connectionsClosed()
            } onCancel: {
                server.close(promise: nil)
                drain.closeInputs()
            }
        } onGracefulShutdown: {
            drain.beginDrain()
        }
        drain.finished()
    }
}

/// Writes a whole response's body after its head without flushing, and flushes with its end: the
/// response leaves in one write.
private struct UnflushedBodyWriter: ResponseBodyWriter {
    let channel: any Channel

    mutating func write(_ buffer: ByteBuffer) async throws {
        channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        channel.writeAndFlush(HTTPServerResponsePart.end(trailingHeaders.map(HTTPHeaders.init)), promise: nil)
    }
}
