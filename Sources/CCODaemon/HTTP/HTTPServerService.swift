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

/// The daemon's HTTP/1.1 server: Hummingbird's router and HTTP/1 channel, served on a listening
/// socket the daemon already holds (bound by itself, inherited from systemd, or handed over by the
/// daemon it replaces), which Hummingbird's `Application` cannot do: it always binds its own.
///
/// On graceful shutdown it stops accepting (closing only its own descriptor: a socket that systemd's
/// fd store or the next daemon also holds keeps listening there) and drains: requests in progress,
/// streamed responses included, finish; keep-alive connections are closed politely (``DrainHandler``);
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
    /// How long an idle keep-alive connection is kept once draining begins (``DrainHandler``).
    let idleGrace: TimeAmount
    let logger: Logger
    /// Tracks connections; stops accepting and drains (the handoff uses it too).
    let drain: DrainCoordinator
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
    /// connection's task allocates and keeps.
    private static func respond(to request: Request, on channel: any Channel, with responder: Responder, requests: RequestMetrics,
                                logger: Logger) async throws -> Response {
        let context = ConnectionContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
        let started = ContinuousClock().now
        let response: Response
        do {
            response = try await responder.respond(to: request, context: context)
        } catch let error as HTTPParserError {
            throw error
        } catch {
            response = unhandled(error, logger: logger)
        }
        requests.answered(request, context: context, status: response.status.code, since: started)
        return response
    }

    @inline(never)
    private static func unhandled(_ error: any Error, logger: Logger) -> Response {
        logger.debug("unhandled error: \(error)")
        return Response(status: .internalServerError)
    }

    /// The response's head, with the date and the server's name. Its fields are taken out of
    /// `response` and grown to fit the two, not copied or doubled.
    @inline(never)
    private static func head(taking response: inout Response, date: String, server: String) -> HTTPResponse {
        var fields = HTTPFields()
        swap(&fields, &response.headers)
        fields.reserveCapacity(fields.count + 2)
        fields[.date] = date
        fields[.server] = server
        return HTTPResponse(status: response.status, headerFields: fields)
    }

    func run() async throws {
        let logger = self.logger
        let responder = self.responder
        let requests = self.requests
        let serverName = self.serverName
        let date = HTTPDate()
        let idleGrace = self.idleGrace
        let drain = self.drain
        let peers = self.peers
        let executor = ServingLoopExecutor(loop: loop)
        await beforeAccepting()
        let child = HTTP1Channel(
            responder: { request, responseWriter, channel in
                var response = try await Self.respond(to: request, on: channel, with: responder, requests: requests, logger: logger)
                if response.body.contentLength == nil {
                    // A stream: its head goes out with what the body writes before it first waits
                    // (a relayed stream's first event, usually in the upstream's first read), in one
                    // write, or alone in the flush queued here, which runs once the body waits. It
                    // is let go of once written, not kept for the minutes the body takes.
                    channel.write(HTTPResponsePart.head(Self.head(taking: &response, date: date.now, server: serverName)), promise: nil)
                    channel.eventLoop.execute { channel.flush() }
                    try await response.body.write(ChannelBodyWriter(channel: channel))
                } else {
                    try await responseWriter.write(response: Self.head(taking: &response, date: date.now, server: serverName), body: response.body)
                }
            },
            configuration: .init(additionalChannelHandlers: [DrainHandler(idleGrace: idleGrace, coordinator: drain)], idleTimeout: idleTimeout))

        let server = try await ServerBootstrap(group: loop)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(drain.makeServerChannelHandler())
                }
            }
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            // A Claude Code connection stays open for hours, and NIO's defaults would keep up to
            // four 64 KB receive buffers on it after a request of hundreds of KB. Reads of at
            // most 16 KB (a large body takes a few more), and none of their buffers kept.
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 1)
            .childChannelOption(ChannelOptions.recvAllocator, value: UnkeptReceiveBuffers(minimum: 64, initial: 512, maximum: 16384))
            .bind(NIOBSDSocket.Handle(listener.fd), serverBackPressureStrategy: nil) { (channel: any Channel) -> EventLoopFuture<HTTP1Channel.Value> in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(PeerCheckHandler(policy: peers))
                }.flatMap { child.setup(channel: channel, logger: logger) }
            }

        listener.restoreBacklog()
        drain.serving(server.channel)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { connections in
                // Connections are served while this runs.
                let port = server.channel.localAddress?.port ?? 0
                connections.addTask { await onServing(port) }
                do {
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            connections.addTask(executorPreference: executor) {
                                await ConnectionTaskFrames.reserve()
                                drain.handling(connection.channel)
                                await child.handle(value: connection, logger: logger)
                            }
                        }
                    }
                } catch {
                    logger.error("the listener failed: \(error)")
                }
                // Closed by a handoff: the group's shutdown, which the handoff triggers next, drains
                // the connections. Returning before it would end the group as if this had failed,
                // and cancel every request in progress.
                if drain.hasStoppedAccepting { try? await gracefulShutdown() }
            }
        } onGracefulShutdown: {
            drain.beginDrain()
        }
        drain.finished()
    }
}
