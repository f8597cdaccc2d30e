import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import CCODaemon

/// How one connection is drained when the server stops accepting (``DrainHandler``).
@Suite struct DrainHandlerTests {
    func channel(grace: TimeAmount = .milliseconds(250), coordinator: DrainCoordinator = DrainCoordinator(drainTimeout: .seconds(600), recorder: nil)) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(DrainHandler(idleGrace: grace, coordinator: coordinator))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    func request(_ channel: EmbeddedChannel) throws {
        try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/health")))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
    }

    func respond(_ channel: EmbeddedChannel, headers: HTTPHeaders = [:]) throws -> HTTPResponseHead {
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        guard case .head(let head)? = try channel.readOutbound(as: HTTPServerResponsePart.self) else { throw CancellationError() }
        _ = try channel.readOutbound(as: HTTPServerResponsePart.self)
        return head
    }

    @Test func beforeTheDrainResponsesKeepTheConnectionAlive() throws {
        let channel = try channel()
        try request(channel)
        #expect(try respond(channel).headers["connection"].isEmpty)
        #expect(channel.isActive)
    }

    @Test func aRequestInProgressIsAnsweredWithConnectionCloseThenTheConnectionCloses() throws {
        let channel = try channel()
        try request(channel)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(channel.isActive, "the response is still owed")
        #expect(try respond(channel).headers["connection"] == ["close"])
        #expect(!channel.isActive)
    }

    @Test func anIdleConnectionGetsItsNextRequestAnsweredWithinTheGrace() throws {
        let channel = try channel(grace: .milliseconds(250))
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(channel.isActive)
        try request(channel)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(500))
        #expect(channel.isActive, "a request in progress is never cut by the grace")
        #expect(try respond(channel).headers["connection"] == ["close"])
        #expect(!channel.isActive)
    }

    @Test func anIdleConnectionIsClosedAfterTheGrace() throws {
        let channel = try channel(grace: .milliseconds(250))
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(249))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(2))
        #expect(!channel.isActive)
    }

    @Test func aStreamStartedBeforeTheDrainEndsThenTheConnectionIdlesOut() throws {
        let channel = try channel(grace: .milliseconds(250))
        try request(channel)
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok)))
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "event: ping\n\n"))))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(channel.isActive, "its head went out without Connection: close, so the client may send once more")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(300))
        #expect(!channel.isActive)
    }

    @Test func anEventStreamIsCountedAsOneAndTheDashboardsIsNotCountedAndLosesItsMark() throws {
        let coordinator = DrainCoordinator(drainTimeout: .seconds(600), recorder: nil)
        let channel = try channel(coordinator: coordinator)
        try request(channel)
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(
            version: .http1_1, status: .ok, headers: ["Content-Type": "text/event-stream; charset=utf-8"])))
        #expect(coordinator.inProgress == (requests: 1, streams: 1))
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(coordinator.inProgress == (requests: 0, streams: 0))
        _ = try channel.readOutbound(as: HTTPServerResponsePart.self)
        _ = try channel.readOutbound(as: HTTPServerResponsePart.self)

        // `/api/events` ends by itself as the drain begins: it does not hold the drain up.
        try request(channel)
        try channel.writeOutbound(HTTPServerResponsePart.head(HTTPResponseHead(
            version: .http1_1, status: .ok, headers: ["content-type": "text/event-stream", "X-CCO-Ends-At-Drain": "1"])))
        #expect(coordinator.inProgress == (requests: 0, streams: 0))
        guard case .head(let head)? = try channel.readOutbound(as: HTTPServerResponsePart.self) else { throw CancellationError() }
        #expect(head.headers["x-cco-ends-at-drain"].isEmpty, "the mark is for the drain, not for the client")
        #expect(head.headers["content-type"] == ["text/event-stream"])
        try channel.writeOutbound(HTTPServerResponsePart.end(nil))
        #expect(coordinator.inProgress == (requests: 0, streams: 0))
    }

    @Test func aConnectionAcceptedAfterTheDrainBeganIsDrainedFromTheStart() throws {
        let coordinator = DrainCoordinator(drainTimeout: .seconds(600), recorder: nil)
        coordinator.beginDrain()
        let channel = try channel(coordinator: coordinator)
        try request(channel)
        #expect(try respond(channel).headers["connection"] == ["close"])
        #expect(!channel.isActive)
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
