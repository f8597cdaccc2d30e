import CCOGateway
import HTTPTypes
import NIOCore
import NIOHTTP1

/// Drains one HTTP/1.1 connection politely when the server stops accepting; its ``RequestHandler``
/// tells it of each request read, each response's head and end written, and the drain's event
/// (`ChannelShouldQuiesceEvent`).
///
/// Closing an idle keep-alive connection the moment the drain begins, or a busy one right after its
/// response without saying so, races a client that sends its next request at that moment: the
/// request meets a closed socket and fails. Instead:
/// - a request in progress, or the next one that arrives, is answered with `Connection: close` and
///   the connection is closed after that response, so the client knows not to reuse it;
/// - a connection that stays idle for `idleGrace` is then closed (a client that idles that long has
///   its own idle timer and checks a pooled connection before reuse).
///
/// It also counts, for the ``DrainCoordinator``, the requests whose response has not been written
/// whole, and which of them are event streams.
final class ConnectionDrain {
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
    private static let namesRead = HeaderNames([endsAtDrain, "content-type"])

    init(idleGrace: TimeAmount, coordinator: DrainCoordinator) {
        self.idleGrace = idleGrace
        self.coordinator = coordinator
    }

    /// The connection is being served: one accepted as the server stopped accepting drains from
    /// the start.
    func added(_ context: ChannelHandlerContext) {
        if coordinator.isDraining { startDraining(context) }
    }

    /// A request's head was read (pipelined ones included, as they arrive).
    func requestBegan() {
        inFlight += 1
        coordinator.requestBegan()
        idleClose?.cancel()
        idleClose = nil
    }

    /// A final response's head is about to be written: it is told `Connection: close` while
    /// draining, and loses the mark of a stream that ends at the drain.
    func writing(_ head: inout HTTPResponseHead) {
        guard head.status.code >= 200 else { return }
        // One pass over the fields, names matched in any case.
        var endsAtDrain = false
        var eventStream = false
        for (name, value) in head.headers {
            switch Self.namesRead.index(of: name) {
            case 0: endsAtDrain = true
            case 1: eventStream = value.hasPrefix("text/event-stream")
            default: break
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
    }

    /// A response's end is about to be written; true when the connection is to close after it.
    func ending(_ context: ChannelHandlerContext) -> Bool {
        endRequest()
        if closingAfterResponse { return true }
        if draining && inFlight == 0 { scheduleIdleClose(context) }
        return false
    }

    /// The server stopped accepting.
    func startDraining(_ context: ChannelHandlerContext) {
        draining = true
        if inFlight == 0 { scheduleIdleClose(context) }
    }

    /// The connection closed, with requests unanswered if the client left or the drain bound cut them.
    func removed() {
        idleClose?.cancel()
        idleClose = nil
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
