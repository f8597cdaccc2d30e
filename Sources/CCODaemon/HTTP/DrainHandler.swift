import CCOGateway
import HTTPTypes
import NIOCore
import NIOHTTP1

/// Drains one HTTP/1.1 connection politely when the server stops accepting.
///
/// Hummingbird closes an idle keep-alive connection the moment it hears `ChannelShouldQuiesceEvent`,
/// and closes a busy one right after its response without saying so. Either races a client that sends
/// its next request at that moment: the request meets a closed socket and fails. This handler takes
/// the event instead:
/// - a request in progress, or the next one that arrives, is answered with `Connection: close` and
///   the connection is closed after that response, so the client knows not to reuse it;
/// - a connection that stays idle for `idleGrace` is then closed (a client that idles that long has
///   its own idle timer and checks a pooled connection before reuse).
///
/// Sits between NIO's HTTP/1 codec and the ``RequestHandler``, and takes the event: nothing behind
/// it closes at once.
final class DrainHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let idleGrace: TimeAmount
    private let coordinator: DrainCoordinator
    /// Requests read whose response has not been completely written.
    private var inFlight = 0
    private var draining = false
    /// The response being written carries `Connection: close`.
    private var closingAfterResponse = false
    /// The response being written is an event stream.
    private var streaming = false
    /// The response being written ends by itself when the drain begins (`/api/events`): it was
    /// taken off the coordinator's count as its head went out.
    private var uncounted = false
    private var idleClose: Scheduled<Void>?
    private static let endsAtDrain = AdminRoutes.endsAtDrain.canonicalName

    init(idleGrace: TimeAmount, coordinator: DrainCoordinator) {
        self.idleGrace = idleGrace
        self.coordinator = coordinator
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Accepted as the server stopped accepting: drain from the start.
        if coordinator.isDraining { startDraining(context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            inFlight += 1
            coordinator.requestBegan()
            idleClose?.cancel()
            idleClose = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            // One pass over the fields, names compared without regard to case.
            var endsAtDrain = false
            var eventStream = false
            for (name, value) in head.headers {
                if name.utf8.count == Self.endsAtDrain.utf8.count, name.lowercased() == Self.endsAtDrain {
                    endsAtDrain = true
                } else if name.utf8.count == 12, name.lowercased() == "content-type" {
                    eventStream = value.hasPrefix("text/event-stream")
                }
            }
            if endsAtDrain {
                head.headers.remove(name: Self.endsAtDrain)
                if !uncounted {
                    uncounted = true
                    coordinator.requestEnded(streaming: false)
                }
            } else if eventStream, !streaming {
                streaming = true
                coordinator.streamBegan()
            }
            if draining {
                head.headers.replaceOrAdd(name: "connection", value: "close")
                closingAfterResponse = true
            }
            if endsAtDrain || draining {
                context.write(wrapOutboundOut(.head(head)), promise: promise)
            } else {
                context.write(data, promise: promise)
            }
        case .end:
            endRequest()
            if closingAfterResponse {
                context.writeAndFlush(data, promise: promise)
                context.close(promise: nil)
            } else {
                context.write(data, promise: promise)
                if draining && inFlight == 0 { scheduleIdleClose(context) }
            }
        default:
            context.write(data, promise: promise)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // Not passed on: the connection state handler behind would close at once.
        startDraining(context)
    }

    private func startDraining(_ context: ChannelHandlerContext) {
        draining = true
        if inFlight == 0 { scheduleIdleClose(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleClose?.cancel()
        idleClose = nil
        // Closed with requests unanswered (the client left, or the drain bound cut them).
        while inFlight > 0 { endRequest() }
    }

    private func endRequest() {
        guard inFlight > 0 else { return }
        inFlight -= 1
        if !uncounted { coordinator.requestEnded(streaming: streaming) }
        streaming = false
        uncounted = false
    }

    private func scheduleIdleClose(_ context: ChannelHandlerContext) {
        guard idleClose == nil else { return }
        idleClose = context.eventLoop.assumeIsolated().scheduleTask(in: idleGrace) { [self] in
            idleClose = nil
            if inFlight == 0 { context.close(promise: nil) }
        }
    }
}
