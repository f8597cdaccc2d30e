import CCOCore
import HTTPTypes
import CCOGateway
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOPosix
import ServiceLifecycle

/// The daemon's HTTP/1.1 server: Hummingbird's router behind NIO's HTTP/1 codec, served on a
/// listening socket the daemon already holds (bound by itself, inherited from systemd, or handed
/// over by the daemon it replaces), which Hummingbird's `Application` cannot do: it always binds its
/// own. A connection is a pipeline of channel handlers, with no task of its own; each request is
/// answered in a task on the serving loop (``RequestHandler``), which also closes idle connections.
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

    /// The responder's answer to one request. Its own async function: the context and everything
    /// the routes need are let go of before the response is written, which for a stream lasts minutes.
    /// What it does besides awaiting is in `@inline(never)` functions, out of the frame the
    /// request's task allocates and keeps.
    private static func respond(to request: Request, on channel: any Channel, with responder: Responder, requests: RequestMetrics,
                                logger: Logger) async -> Response {
        let context = ConnectionContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
        let started = ContinuousClock().now
        let response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch {
            response = unhandled(error, logger: logger)
        }
        requests.answered(request, context: context, status: response.status.code, since: started)
        return response
    }

    /// Writes the answer to `request`, its end included. A whole body leaves with its head in one
    /// write; a stream's head goes out with what the body writes before it first waits (a relayed
    /// stream's first event, usually in the upstream's first read), in one write, or alone in the
    /// flush queued here, which runs once the body waits. The head is let go of once written, not
    /// kept for the minutes a stream takes.
    private static func answer(_ request: Request, on channel: any Channel, with responder: Responder, requests: RequestMetrics,
                               date: HTTPDate, serverName: String, logger: Logger) async {
        var response = await respond(to: request, on: channel, with: responder, requests: requests, logger: logger)
        channel.write(HTTPResponsePart.head(head(taking: &response, date: date.now, server: serverName)), promise: nil)
        do {
            if response.body.contentLength == nil {
                channel.eventLoop.execute { channel.flush() }
                try await response.body.write(ChannelBodyWriter(channel: channel))
            } else {
                try await response.body.write(UnflushedBodyWriter(channel: channel))
            }
        } catch {
            // The client left, the drain bound cut the connection, or the body failed (a stream the
            // upstream cut): an answer not written whole ends its connection, so that the client
            // sees it end.
            logger.trace("the response was not written whole: \(error)")
            channel.close(promise: nil)
        }
    }

    @inline(never)
    private static func unhandled(_ error: any Error, logger: Logger) -> Response {
        logger.debug("unhandled error: \(error)")
        return Response(status: .internalServerError)
    }

    /// The response's head, with the date and the server's name. Its fields are taken out of
    /// `response` and grown to fit the two, not copied or doubled. Most responses carry neither
    /// (the gateway does not relay the upstream's): the two are appended, without the search for
    /// fields of the same name that setting one by name makes.
    @inline(never)
    private static func head(taking response: inout Response, date: String, server: String) -> HTTPResponse {
        var fields = HTTPFields()
        swap(&fields, &response.headers)
        fields.reserveCapacity(fields.count + 2)
        if fields.contains(where: { $0.name == .date || $0.name == .server }) {
            fields[.date] = date
            fields[.server] = server
        } else {
            fields.append(HTTPField(name: .date, value: date))
            fields.append(HTTPField(name: .server, value: server))
        }
        return HTTPResponse(status: response.status, headerFields: fields)
    }

    func run() async throws {
        let logger = self.logger
        let responder = self.responder
        let requests = self.requests
        let serverName = self.serverName
        let date = HTTPDate()
        let idleGrace = self.idleGrace
        let idleTimeout = self.idleTimeout
        let bodyLimit = self.bodyLimit
        let drain = self.drain
        let peers = self.peers
        let executor = ServingLoopExecutor(loop: loop)
        let respond: RequestHandler.Respond = { request, channel in
            await Self.answer(request, on: channel, with: responder, requests: requests, date: date, serverName: serverName, logger: logger)
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
                    try pipeline.configureHTTPServerPipeline(
                        withPipeliningAssistance: false, withErrorHandling: false,
                        // HTTPFields has checked every field already.
                        withOutboundHeaderValidation: false)
                    try pipeline.addHandler(RequestHandler(executor: executor, idleTimeout: idleTimeout,
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
        channel.write(HTTPResponsePart.body(buffer), promise: nil)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        channel.writeAndFlush(HTTPResponsePart.end(trailingHeaders), promise: nil)
    }
}
