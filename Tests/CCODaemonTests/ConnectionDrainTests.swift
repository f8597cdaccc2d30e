import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Synchronization
import Testing
import CCOGateway
@testable import CCODaemon

/// How one connection is drained when the server stops accepting (``ConnectionDrain``, as its
/// ``RequestHandler`` runs it), on an embedded event loop whose clock the tests move.
@Suite struct ConnectionDrainTests {
    /// Steps of the answers in progress, each waiting for the test to let it go.
    final class Gates: Sendable {
        private let waiting = Mutex<[EventLoopPromise<Void>]>([])

        func next(on loop: any EventLoop) -> EventLoopFuture<Void> {
            let gate = loop.makePromise(of: Void.self)
            waiting.withLock { $0.append(gate) }
            return gate.futureResult
        }

        func open() -> Bool {
            guard let gate = waiting.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { return false }
            gate.succeed()
            return true
        }
    }

    /// One connection, served by a ``RequestHandler`` whose every answer writes its head with
    /// `headers`, then its end, each once the test lets it (``release()``).
    struct Connection {
        let channel = EmbeddedChannel()
        let gates = Gates()

        init(grace: TimeAmount = .milliseconds(250), coordinator: DrainCoordinator = DrainCoordinator(drainTimeout: .seconds(600), recorder: nil),
             headers: HTTPHeaders = [:]) throws {
            let gates = self.gates
            let respond: RequestHandler.Respond = { _, channel in
                try? await gates.next(on: channel.eventLoop).get()
                channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)), promise: nil)
                try? await gates.next(on: channel.eventLoop).get()
                channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            }
            let handler = RequestHandler(executor: ServingLoopExecutor(loop: channel.embeddedEventLoop), idleTimeout: .hours(1),
                                         drain: ConnectionDrain(idleGrace: grace, coordinator: coordinator), bodyLimit: { 1 << 20 },
                                         respond: respond)
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        func request() throws {
            try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/health")))
            try channel.writeInbound(HTTPServerRequestPart.end(nil))
            channel.embeddedEventLoop.run()
        }

        /// Lets the answer in progress take its next step (its head, then its end).
        func release() {
            #expect(gates.open(), "an answer is waiting")
            channel.embeddedEventLoop.run()
        }

        /// The head written, once the answer has written it, as a client's HTTP/1 parser reads it.
        func writtenHead() throws -> HTTPResponseHead? {
            let reader = EmbeddedChannel(handler: ByteToMessageHandler(HTTPResponseDecoder()))
            // The parser pairs each answer with a request's method.
            try reader.writeOutbound(HTTPClientRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/health")))
            while let bytes = try channel.readOutbound(as: ByteBuffer.self) {
                try reader.writeInbound(bytes)
            }
            guard case .head(let head)? = try reader.readInbound(as: HTTPClientResponsePart.self) else { return nil }
            return head
        }

        /// Answers the request in progress whole, and returns the head it wrote.
        func answer() throws -> HTTPResponseHead? {
            release()
            release()
            return try writtenHead()
        }

        func drain() {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }

        func advance(by time: TimeAmount) {
            channel.embeddedEventLoop.advanceTime(by: time)
        }
    }

    @Test func beforeTheDrainResponsesKeepTheConnectionAlive() throws {
        let connection = try Connection()
        try connection.request()
        #expect(try connection.answer()?.headers["connection"] == [])
        #expect(connection.channel.isActive)
    }

    @Test func aRequestInProgressIsAnsweredWithConnectionCloseThenTheConnectionCloses() throws {
        let connection = try Connection()
        try connection.request()
        connection.drain()
        #expect(connection.channel.isActive, "the response is still owed")
        #expect(try connection.answer()?.headers["connection"] == ["close"])
        #expect(!connection.channel.isActive)
    }

    @Test func anIdleConnectionGetsItsNextRequestAnsweredWithinTheGrace() throws {
        let connection = try Connection(grace: .milliseconds(250))
        connection.drain()
        connection.advance(by: .milliseconds(200))
        #expect(connection.channel.isActive)
        try connection.request()
        connection.advance(by: .milliseconds(500))
        #expect(connection.channel.isActive, "a request in progress is never cut by the grace")
        #expect(try connection.answer()?.headers["connection"] == ["close"])
        #expect(!connection.channel.isActive)
    }

    @Test func anIdleConnectionIsClosedAfterTheGrace() throws {
        let connection = try Connection(grace: .milliseconds(250))
        connection.drain()
        connection.advance(by: .milliseconds(249))
        #expect(connection.channel.isActive)
        connection.advance(by: .milliseconds(2))
        #expect(!connection.channel.isActive)
    }

    @Test func aStreamStartedBeforeTheDrainEndsThenTheConnectionIdlesOut() throws {
        let connection = try Connection(grace: .milliseconds(250), headers: ["content-type": "text/event-stream"])
        try connection.request()
        connection.release()
        #expect(try connection.writtenHead()?.headers["connection"] == [])
        connection.drain()
        connection.release()
        #expect(connection.channel.isActive, "its head went out without Connection: close, so the client may send once more")
        connection.advance(by: .milliseconds(300))
        #expect(!connection.channel.isActive)
    }

    @Test func anEventStreamIsCountedAsOneAndTheDashboardsIsNotCountedAndLosesItsMark() throws {
        let coordinator = DrainCoordinator(drainTimeout: .seconds(600), recorder: nil)
        let stream = try Connection(coordinator: coordinator, headers: ["content-type": "text/event-stream; charset=utf-8"])
        try stream.request()
        #expect(coordinator.inProgress == (requests: 1, streams: 0), "read, not yet known to stream")
        stream.release()
        #expect(coordinator.inProgress == (requests: 1, streams: 1))
        stream.release()
        #expect(coordinator.inProgress == (requests: 0, streams: 0))

        // `/api/events` ends by itself as the drain begins: it does not hold the drain up.
        let events = try Connection(coordinator: coordinator, headers: ["content-type": "text/event-stream", AdminRoutes.endsAtDrain.rawName: "1"])
        try events.request()
        events.release()
        #expect(coordinator.inProgress == (requests: 0, streams: 0))
        let head = try events.writtenHead()
        #expect(head?.headers["x-cco-ends-at-drain"] == [], "the mark is for the drain, not for the client")
        #expect(head?.headers["content-type"] == ["text/event-stream"])
        events.release()
        #expect(coordinator.inProgress == (requests: 0, streams: 0))
    }

    @Test func requestsOfAConnectionThatClosesMidAnswerAreNoLongerCounted() throws {
        let coordinator = DrainCoordinator(drainTimeout: .seconds(600), recorder: nil)
        let connection = try Connection(coordinator: coordinator, headers: ["content-type": "text/event-stream"])
        try connection.request()
        connection.release()
        #expect(coordinator.inProgress == (requests: 1, streams: 1))
        _ = try connection.channel.close().wait()
        connection.channel.embeddedEventLoop.run()
        #expect(coordinator.inProgress == (requests: 0, streams: 0))
    }

    @Test func aConnectionAcceptedAfterTheDrainBeganIsDrainedFromTheStart() throws {
        let coordinator = DrainCoordinator(drainTimeout: .seconds(600), recorder: nil)
        coordinator.beginDrain()
        let connection = try Connection(coordinator: coordinator)
        try connection.request()
        #expect(try connection.answer()?.headers["connection"] == ["close"])
        #expect(!connection.channel.isActive)
    }
}

@Suite struct HandoffMessageTests {
    @Test(arguments: [
        HandoffMessage.takeover(version: 1, pid: 42), .listener(pid: 7), .ready(pid: 9), .draining,
    ])
    func linesRoundTrip(message: HandoffMessage) {
        #expect(HandoffMessage(line: message.line) == message)
    }

    @Test(arguments: ["", "TAKEOVER", "TAKEOVER x 1", "LISTENER", "READY 1 2", "DRAINING now", "HELLO 1"])
    func malformedLinesAreRejected(line: String) {
        #expect(HandoffMessage(line: line) == nil)
    }
}
