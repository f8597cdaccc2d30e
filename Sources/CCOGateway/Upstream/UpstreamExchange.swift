import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import Synchronization

/// One call to the upstream, read on the event loop of the client connection it answers (on a
/// pooled upstream connection of that loop: the daemon serves both sides on one loop).
///
/// An ordinary answer, or an error, is read whole and handed to the gateway's task. An event stream
/// is not handed over event by event: once the client has the answer's head, each part is written
/// to the client's connection from the loop it was read on, and the next part is read only when the
/// client's socket has taken the last one. The gateway's task sleeps until the stream ends; passing
/// each event through it instead costs two thread hops per event.
///
/// `upstream_timeout` is kept here too: the call fails once the upstream has sent nothing for that
/// long since the request went out. One timer per call, moved on only when it fires, where the
/// client's own read timeout is cancelled and scheduled again at every read.
final class UpstreamExchange: HTTPClientResponseDelegate {
    typealias Response = Void

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
        let error: (any Error)?

        init(scanner: StreamUsageScanner, error: (any Error)?) {
            self.scanner = scanner
            self.error = error
        }
    }

    /// The client's connection closed while its stream was being relayed.
    struct ClientGone: Error {}

    /// A whole answer past `largestWholeAnswer`.
    struct AnswerTooLarge: Error {
        let limit: Int
    }

    /// Kept on the client's event loop.
    private struct State {
        var head: HTTPResponseHead?
        var streaming = false
        var attachedCompleted = false
        var body: ByteBuffer?
        var scanner = StreamUsageScanner()
        /// When the upstream last sent something (or the request was sent).
        var lastRead = NIODeadline.uptimeNanoseconds(0)
        /// Nil once the call has ended.
        var silenceTimer: Scheduled<Void>?
    }

    private let client: any Channel
    private let largestWholeAnswer: Int
    private let silenceLimit: TimeAmount
    private let answer: EventLoopPromise<Answer>
    /// Completed when the client has the stream's head and its body may be written.
    private let attached: EventLoopPromise<Void>
    private let end: EventLoopPromise<StreamEnd>
    private let state: NIOLoopBoundBox<State>
    private let task = Mutex<HTTPClient.Task<Void>?>(nil)
    /// Set once ``relay()`` has been asked for: an answered stream whose relay never starts (its
    /// client went away before the head could be written) is cancelled when given up.
    private let relayStarted = Atomic<Bool>(false)

    init(client: any Channel, largestWholeAnswer: Int, silenceLimit: TimeAmount) {
        self.client = client
        self.largestWholeAnswer = largestWholeAnswer
        self.silenceLimit = silenceLimit
        let loop = client.eventLoop
        answer = loop.makePromise()
        attached = loop.makePromise()
        end = loop.makePromise()
        state = NIOLoopBoundBox.makeBoxSendingValue(State(), eventLoop: loop)
    }

    /// Sends `request` on `httpClient` from the client's event loop; the answer, or why there is none.
    func answer(to request: HTTPClient.Request, on httpClient: HTTPClient) async throws -> Answer {
        // Preferred, not required: a connection made for a required loop is closed as soon as it
        // is idle. `httpClient`'s connections are all on this loop (``Gateway``).
        let task = httpClient.execute(request: request, delegate: self, eventLoop: .delegate(on: client.eventLoop),
                                      deadline: nil, logger: nil)
        self.task.withLock { $0 = task }
        task.futureResult.whenComplete { result in self.finished(result) }
        return try await withTaskCancellationHandler {
            try await answer.futureResult.get()
        } onCancel: {
            task.cancel()
        }
    }

    /// Writes the answered stream's body to the client as it comes (its head must have been written
    /// first, through the client connection's own writer), and returns when the stream has ended.
    func relay() async -> StreamEnd {
        relayStarted.store(true, ordering: .relaxed)
        // Runs after the head's write: both are queued on the client's loop, the head first.
        client.eventLoop.execute { self.attach() }
        let task = self.task.withLock { $0 }
        do {
            return try await withTaskCancellationHandler {
                try await end.futureResult.get()
            } onCancel: {
                task?.cancel()
            }
        } catch {
            return StreamEnd(scanner: StreamUsageScanner(), error: error)
        }
    }

    /// Cancels an answered stream whose relay was never started.
    func abandon() {
        guard !relayStarted.load(ordering: .relaxed) else { return }
        task.withLock { $0 }?.cancel()
    }

    private func attach() {
        guard !state.value.attachedCompleted else { return }
        state.value.attachedCompleted = true
        attached.succeed()
    }

    // MARK: - HTTPClientResponseDelegate, on the client's event loop

    func didSendRequest(task: HTTPClient.Task<Void>) {
        state.value.lastRead = .now()
        watchForSilence(of: task, until: state.value.lastRead + silenceLimit)
    }

    /// Fails the call if nothing has come from the upstream by `deadline`, else looks again
    /// `silenceLimit` after the last thing that came.
    private func watchForSilence(of task: HTTPClient.Task<Void>, until deadline: NIODeadline) {
        state.value.silenceTimer = client.eventLoop.scheduleTask(deadline: deadline) { [self] in
            let next = state.value.lastRead + silenceLimit
            if next <= .now() {
                task.fail(reason: HTTPClientError.readTimeout)
            } else {
                watchForSilence(of: task, until: next)
            }
        }
    }

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        state.value.lastRead = .now()
        guard head.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true else {
            state.value.head = head
            return client.eventLoop.makeSucceededVoidFuture()
        }
        state.value.streaming = true
        answer.succeed(.stream(head))
        return attached.futureResult
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        state.value.lastRead = .now()
        if state.value.streaming {
            // In the client's socket first: the usage is read after, off the event's way.
            let written = forward(buffer)
            state.value.scanner.feed(buffer.readableBytesView)
            return written
        }
        return state.withValue { state in
            guard var body = state.body else {
                state.body = buffer
                return client.eventLoop.makeSucceededVoidFuture()
            }
            state.body = nil
            guard body.readableBytes + buffer.readableBytes <= largestWholeAnswer else {
                return client.eventLoop.makeFailedFuture(AnswerTooLarge(limit: largestWholeAnswer))
            }
            body.writeImmutableBuffer(buffer)
            state.body = body
            return client.eventLoop.makeSucceededVoidFuture()
        }
    }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws {}

    /// Writes one part of the stream to the client, from its loop (where every delegate call runs).
    /// The next part is read once this one is in the client's socket: while the channel is
    /// writable that is at once (a write to a writable socket happens in the flush), so no promise
    /// is made per event; once the client lags by its write buffer's high-water mark, the next read
    /// waits for this write. A client that is gone fails the call, which cancels it upstream.
    private func forward(_ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        guard client.isActive, client.isWritable else {
            return client.writeAndFlush(HTTPResponsePart.body(buffer))
        }
        client.writeAndFlush(HTTPResponsePart.body(buffer), promise: nil)
        return client.isActive ? client.eventLoop.makeSucceededVoidFuture() : client.eventLoop.makeFailedFuture(ClientGone())
    }

    /// Every promise is completed here, whichever way the call ended.
    private func finished(_ result: Result<Void, any Error>) {
        self.state.value.silenceTimer?.cancel()
        self.state.value.silenceTimer = nil
        attach()
        let state = self.state.value
        switch result {
        case .success:
            end.succeed(StreamEnd(scanner: state.scanner, error: nil))
            if !state.streaming {
                if let head = state.head {
                    answer.succeed(.whole(head, state.body ?? ByteBuffer()))
                } else {
                    answer.fail(HTTPClientError.remoteConnectionClosed)
                }
            }
        case .failure(let error):
            end.succeed(StreamEnd(scanner: state.scanner, error: state.streaming && !client.isActive ? ClientGone() : error))
            if !state.streaming { answer.fail(error) }
        }
    }
}
