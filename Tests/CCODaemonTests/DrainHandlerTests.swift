import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
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
        try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/health")))
        try channel.writeInbound(HTTPRequestPart.end(nil))
    }

    func respond(_ channel: EmbeddedChannel) throws -> HTTPResponse {
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        guard case .head(let head)? = try channel.readOutbound(as: HTTPResponsePart.self) else { throw CancellationError() }
        _ = try channel.readOutbound(as: HTTPResponsePart.self)
        return head
    }

    @Test func beforeTheDrainResponsesKeepTheConnectionAlive() throws {
        let channel = try channel()
        try request(channel)
        #expect(try respond(channel).headerFields[.connection] == nil)
        #expect(channel.isActive)
    }

    @Test func aRequestInProgressIsAnsweredWithConnectionCloseThenTheConnectionCloses() throws {
        let channel = try channel()
        try request(channel)
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(channel.isActive, "the response is still owed")
        #expect(try respond(channel).headerFields[.connection] == "close")
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
        #expect(try respond(channel).headerFields[.connection] == "close")
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
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        try channel.writeOutbound(HTTPResponsePart.body(ByteBuffer(string: "event: ping\n\n")))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        #expect(channel.isActive, "its head went out without Connection: close, so the client may send once more")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(300))
        #expect(!channel.isActive)
    }

    @Test func aConnectionAcceptedAfterTheDrainBeganIsDrainedFromTheStart() throws {
        let coordinator = DrainCoordinator(drainTimeout: .seconds(600), recorder: nil)
        coordinator.beginDrain()
        let channel = try channel(coordinator: coordinator)
        try request(channel)
        #expect(try respond(channel).headerFields[.connection] == "close")
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
