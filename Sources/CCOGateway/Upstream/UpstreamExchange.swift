import NIOCore
import NIOHTTP1
import CCOCore
import Synchronization

/// One call to the upstream, on an ``UpstreamPool`` connection of the event loop of the client
/// connection it answers (the daemon serves both sides on one loop).
///
/// An ordinary answer, or an error, is read whole and handed to the gateway's task. An event stream
/// is not handed over event by event: once the client has the answer's head, each part is written
/// to the client's connection from the loop it was read on, and the next part is read only when the
/// client's socket has taken the last one. The gateway's task sleeps until the stream ends; passing
/// each event through it instead costs two thread hops per event.
///
/// `upstream_timeout` is kept by the connection the call goes out on (``UpstreamConnection``): the
/// call fails as `.silent` once the upstream has sent nothing for that long.
///
/// A call sent on a connection that had idled in the pool, which closes (or is reset) before any of
/// the answer has come, is sent once more, on a new connection: the upstream, or a router between,
/// closed the idle connection as the request went out, and did not read it. The request is kept
/// for that until the answer's head arrives.
final class UpstreamExchange: UpstreamCallReceiver, Sendable {
    /// What the upstream answered.
    enum Answer: Sendable {
        /// Read whole, at most `largestWholeAnswer` bytes.
        case whole(HTTPResponseHead, ByteBuffer)
        /// `text/event-stream`: nothing of its body is read until ``relay()``.
        case stream(HTTPResponseHead)
    }

    /// How a relayed stream ended: its usage as read on the way, and what cut it short, if anything.
    /// A class: the relay's task awaits it for as long as the stream runs, and a value this size
    /// would sit in that await's frame all the while.
    final class StreamEnd: Sendable {
        let scanner: StreamUsageScanner
        let error: UpstreamError?

        init(scanner: StreamUsageScanner, error: UpstreamError?) {
            self.scanner = scanner
            self.error = error
        }
    }

    /// Kept on the client's event loop.
    private struct State {
        var head: HTTPResponseHead?
        var streaming = false
        var attachedCompleted = false
        /// Completed when the client has the stream's head and its body may be written; made once
        /// the answer turns out to be a stream (a whole answer makes neither promise of a stream).
        var attached: EventLoopPromise<Void>?
        var body: ByteBuffer?
        var scanner = StreamUsageScanner()
        /// The connection carrying the call, from when the pool gives it until the call ends.
        var connection: UpstreamConnection?
        /// What sending the call again takes, while it may be: it went out on a connection that had
        /// idled, and nothing of the answer has come yet.
        var resend: Resend?
        var ended = false
    }

    private struct Resend {
        let request: UpstreamRequest
        let upstream: UpstreamURL
        let pool: UpstreamPool
    }

    private let client: any Channel
    private let largestWholeAnswer: Int
    private let silenceLimit: TimeAmount
    private let answer: EventLoopPromise<Answer>
    /// How the stream ended, for ``relay()``: made on the loop with the stream's head, before the
    /// answer is handed over, and read by the task the answer goes to.
    private let end = Mutex<EventLoopPromise<StreamEnd>?>(nil)
    private let state: NIOLoopBoundBox<State>
    /// Set once ``relay()`` has been asked for: an answered stream whose relay never starts (its
    /// client went away before the head could be written) is cancelled when given up.
    private let relayStarted = Atomic<Bool>(false)
    private let sentAgain = Atomic<Bool>(false)

    /// Whether the call was sent a second time, on a new connection, because the idle one it first
    /// went out on closed before answering.
    var wasSentAgain: Bool { sentAgain.load(ordering: .relaxed) }

    init(client: any Channel, largestWholeAnswer: Int, silenceLimit: TimeAmount) {
        self.client = client
        self.largestWholeAnswer = largestWholeAnswer
        self.silenceLimit = silenceLimit
        let loop = client.eventLoop
        answer = loop.makePromise()
        state = NIOLoopBoundBox.makeBoxSendingValue(State(), eventLoop: loop)
    }

    /// Sends `request` to `upstream` on a connection of `pool` (whose loop is the client's); the
    /// answer, or why there is none.
    func answer(to request: UpstreamRequest, at upstream: UpstreamURL, from pool: UpstreamPool) async throws -> Answer {
        // At once from a task on the loop (the gateway's run there): no turn of the loop between.
        if client.eventLoop.inEventLoop {
            send(request, to: upstream, from: pool, onNewConnection: false)
        } else {
            client.eventLoop.execute { self.send(request, to: upstream, from: pool, onNewConnection: false) }
        }
        return try await withTaskCancellationHandler {
            try await answer.futureResult.get()
        } onCancel: {
            self.cancel()
        }
    }

    /// Writes the answered stream's body to the client as it comes (its head must have been written
    /// to the client's channel first, flushed or not), and returns when the stream has ended.
    func relay() async -> StreamEnd {
        relayStarted.store(true, ordering: .relaxed)
        guard let end = end.withLock({ $0 }) else { return StreamEnd(scanner: StreamUsageScanner(), error: .closedBeforeAnswer) }
        // After the head's write, on the client's loop: at once when already there, so that the
        // parts held since the head are written (and the head with them) before the task suspends.
        if client.eventLoop.inEventLoop {
            attach()
        } else {
            client.eventLoop.execute { self.attach() }
        }
        do {
            return try await withTaskCancellationHandler {
                try await end.futureResult.get()
            } onCancel: {
                self.cancel()
            }
        } catch {
            return StreamEnd(scanner: StreamUsageScanner(), error: .clientGone)
        }
    }

    /// Cancels an answered stream whose relay was never started.
    func abandon() {
        guard !relayStarted.load(ordering: .relaxed) else { return }
        cancel()
    }

    private func cancel() {
        client.eventLoop.execute { self.fail(.clientGone) }
    }

    /// On the loop: `request` on a connection of `pool`, a new one when told.
    private func send(_ request: UpstreamRequest, to upstream: UpstreamURL, from pool: UpstreamPool, onNewConnection: Bool) {
        pool.connection(to: upstream, fresh: onNewConnection) { result in
            switch result {
            case .failure(let error):
                self.finish(.failure(error))
            case .success(let connection):
                guard !self.state.value.ended else { return pool.release(connection) }
                self.state.value.connection = connection
                if !onNewConnection, connection.hasCarriedACall {
                    self.state.value.resend = Resend(request: request, upstream: upstream, pool: pool)
                }
                connection.send(request, to: self, silenceLimit: self.silenceLimit)
            }
        }
    }

    private func attach() {
        guard !state.value.attachedCompleted else { return }
        state.value.attachedCompleted = true
        state.value.attached?.succeed()
    }

    // MARK: - UpstreamCallReceiver, on the client's event loop

    func received(_ head: HTTPResponseHead) -> EventLoopFuture<Void>? {
        state.value.resend = nil
        guard head.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true else {
            state.value.head = head
            return nil
        }
        state.value.streaming = true
        let attached = client.eventLoop.makePromise(of: Void.self)
        state.value.attached = attached
        end.withLock { $0 = client.eventLoop.makePromise() }
        answer.succeed(.stream(head))
        return state.value.attachedCompleted ? nil : attached.futureResult
    }

    func received(_ buffer: ByteBuffer) -> EventLoopFuture<Void>? {
        if state.value.streaming {
            // In the client's socket first: the usage is read after, off the event's way.
            let written = forward(buffer)
            // Read where the bytes lie: through the buffer's view, each byte read was a checked
            // access to the buffer's storage (~35 instructions a byte of the stream).
            buffer.withUnsafeReadableBytes { state.value.scanner.feed(contiguous: $0) }
            return written
        }
        guard state.value.body != nil else {
            state.value.body = buffer
            return nil
        }
        // Appended in place: the answer so far is not copied for each part.
        let fits = state.withValue { state in
            guard state.body!.readableBytes + buffer.readableBytes <= largestWholeAnswer else { return false }
            state.body!.writeImmutableBuffer(buffer)
            return true
        }
        if !fits { fail(.answerTooLarge(limit: largestWholeAnswer)) }
        return nil
    }

    func ended() {
        state.value.connection = nil
        finish(.success(()))
    }

    func failed(_ error: UpstreamError) {
        state.value.connection = nil
        if error == .closedBeforeAnswer, let resend = state.value.resend, !state.value.ended {
            state.value.resend = nil
            sentAgain.store(true, ordering: .relaxed)
            return send(resend.request, to: resend.upstream, from: resend.pool, onNewConnection: true)
        }
        finish(.failure(error))
    }

    /// Writes one part of the stream to the client, from its loop (where every receiver call runs).
    /// The next part is read once this one is in the client's socket: while the channel is
    /// writable that is at once (a write to a writable socket happens in the flush), so no promise
    /// is made per event; once the client lags by its write buffer's high-water mark, the next read
    /// waits for this write. A client that is gone ends the call, and its upstream connection.
    private func forward(_ buffer: ByteBuffer) -> EventLoopFuture<Void>? {
        guard client.isActive else {
            fail(.clientGone)
            return nil
        }
        guard client.isWritable else {
            let written = client.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)))
            written.whenFailure { _ in self.fail(.clientGone) }
            return written
        }
        client.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        return nil
    }

    /// Ends the call from this side: its connection is closed, and its receiver let go of.
    private func fail(_ error: UpstreamError) {
        guard !state.value.ended else { return }
        state.value.connection?.abandon()
        state.value.connection = nil
        finish(.failure(error))
    }

    /// Every promise is completed here, whichever way the call ended.
    private func finish(_ result: Result<Void, UpstreamError>) {
        guard !state.value.ended else { return }
        state.value.ended = true
        state.value.resend = nil
        attach()
        let state = self.state.value
        let end = state.streaming ? self.end.withLock { $0 } : nil
        switch result {
        case .success:
            end?.succeed(StreamEnd(scanner: state.scanner, error: nil))
            if !state.streaming {
                if let head = state.head {
                    answer.succeed(.whole(head, state.body ?? ByteBuffer()))
                } else {
                    answer.fail(UpstreamError.closedBeforeAnswer)
                }
            }
        case .failure(let error):
            end?.succeed(StreamEnd(scanner: state.scanner, error: state.streaming && !client.isActive ? .clientGone : error))
            if !state.streaming { answer.fail(error) }
        }
    }
}
