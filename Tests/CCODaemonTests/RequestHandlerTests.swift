import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOPosix
import Synchronization
import Testing
@testable import CCODaemon
import CCOGateway

/// How one connection's requests are read and answered (``RequestHandler``), over a real socket:
/// raw bytes in, as a client writes them, and the bytes that come back.
@Suite struct RequestHandlerTests {
    /// A server whose every answer is `<method> <path> <body bytes>`, after `delay` for a path that
    /// starts with `/slow`.
    final class Server: Sendable {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel: any Channel

        init(bodyLimit: Int = 1 << 20, idleTimeout: TimeAmount = .seconds(60)) async throws {
            let loop = group.next()
            let executor = ServingLoopExecutor(loop: loop)
            let respond: RequestHandler.Respond = { request, channel in
                if request.head.uri.hasPrefix("/slow") { try? await Task.sleep(for: .milliseconds(200)) }
                let body = request.takeBody() ?? ByteBuffer()
                // The request's target as the routes get it, before any parsing of theirs.
                let text = "\(request.head.method) \(request.target ?? "-") \(body.readableBytes)"
                channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["content-length": "\(text.utf8.count)"])),
                              promise: nil)
                channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: text))), promise: nil)
                try? await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
            }
            channel = try await ServerBootstrap(group: loop)
                .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        let drain = ConnectionDrain(idleGrace: .seconds(1), coordinator: DrainCoordinator(drainTimeout: .seconds(60), recorder: nil))
                        try pipeline.addHTTPServerHandlers(RequestHandler(executor: executor, idleTimeout: idleTimeout, drain: drain,
                                                                          bodyLimit: { bodyLimit }, respond: respond))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
        }

        /// A client connected, which has sent `first` (if any) from the event loop as soon as it
        /// connected: the server's idle clock starts when it accepts, and a test's task may not run
        /// again for longer than a short timeout on a host busy with the tests run beside it.
        func connect(sending first: String? = nil) async throws -> Client {
            try await Client(port: channel.localAddress!.port!, group: group, sending: first)
        }

        func close() async throws {
            try await channel.close()
            try await group.shutdownGracefully()
        }
    }

    /// A TCP client that writes what it is given and keeps what it reads.
    final class Client: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        private let received = Mutex("")
        private let channel = Mutex<(any Channel)?>(nil)

        init(port: Int, group: any EventLoopGroup, sending first: String? = nil) async throws {
            let channel = try await ClientBootstrap(group: group)
                .channelInitializer { [self] channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(self) }
                }
                .connect(host: "127.0.0.1", port: port)
                .flatMap { channel in
                    guard let first else { return channel.eventLoop.makeSucceededFuture(channel) }
                    return channel.writeAndFlush(ByteBuffer(string: first)).map { channel }
                }
                .get()
            self.channel.withLock { $0 = channel }
        }

        var open: any Channel { channel.withLock { $0! } }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLock { $0 += String(buffer: buffer) }
        }

        func send(_ text: String) async throws {
            try await open.writeAndFlush(ByteBuffer(string: text))
        }

        /// Shuts this side for writing: the server reads the end of its input.
        func finishSending() async throws {
            try await open.close(mode: .output)
        }

        /// How long a test waits for what it expects: long enough for a host busy with the other
        /// tests run in parallel; a passing test does not wait it out.
        static let patience: Duration = .seconds(10)

        /// What has been read once `done` holds of it, or after ``patience``.
        func read(until done: (String) -> Bool) async throws -> String {
            let clock = ContinuousClock()
            let deadline = clock.now + Self.patience
            while clock.now < deadline {
                let text = received.withLock { $0 }
                if done(text) { return text }
                try await Task.sleep(for: .milliseconds(5))
            }
            return received.withLock { $0 }
        }

        /// Whether the server closed the connection within ``patience``.
        func closedByServer() async throws -> Bool {
            let clock = ContinuousClock()
            let deadline = clock.now + Self.patience
            while clock.now < deadline, open.isActive { try await Task.sleep(for: .milliseconds(5)) }
            return !open.isActive
        }
    }

    /// The answers `client` got before the server closed the connection; nil if it did not
    /// close it within ``Client/patience``.
    static func answersBeforeClose(_ client: Client) async throws -> [String]? {
        guard try await client.closedByServer() else { return nil }
        return answers(try await client.read { _ in true })
    }

    static func answers(_ text: String) -> [String] {
        text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.components(separatedBy: "\r\n\r\n").last ?? "" }
    }

    static func post(_ path: String, body: String, connection: String? = nil) -> String {
        var head = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n"
        if let connection { head += "Connection: \(connection)\r\n" }
        return head + "\r\n" + body
    }

    @Test func pipelinedRequestsAreAnsweredInTheOrderSentEvenWhenTheFirstIsSlowest() async throws {
        let server = try await Server()
        let client = try await server.connect()
        try await client.send(Self.post("/slow/1", body: "abc") + Self.post("/2", body: "") + "GET /3 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let text = try await client.read { Self.answers($0).count == 3 }
        #expect(Self.answers(text) == ["POST /slow/1 3", "POST /2 0", "GET /3 0"])
        #expect(client.open.isActive, "a keep-alive connection stays open")
        try await server.close()
    }

    /// A body sent in two writes reaches the route whole: one of 50 KB cut a third of the way in,
    /// and one of 6 MB cut after its first KB, whose buffer is taken at most 4 MB past what has
    /// come and grows on from there.
    @Test(arguments: [(limit: 1 << 20, size: 50_000, cut: 16_700), (limit: 8 << 20, size: 6 << 20, cut: 1000)])
    func aBodySentInSeveralWritesReachesTheRouteWhole(limit: Int, size: Int, cut: Int) async throws {
        let server = try await Server(bodyLimit: limit)
        let client = try await server.connect()
        let request = Self.post("/v1/messages", body: String(repeating: "x", count: size))
        let split = request.index(request.startIndex, offsetBy: cut)
        try await client.send(String(request[..<split]))
        try await Task.sleep(for: .milliseconds(50))
        try await client.send(String(request[split...]))
        let text = try await client.read { Self.answers($0).count == 1 }
        #expect(Self.answers(text) == ["POST /v1/messages \(size)"])
        try await server.close()
    }

    @Test func aBodyOverTheLimitReachesTheRouteCutOnePastItAndTheConnectionGoesOn() async throws {
        let server = try await Server(bodyLimit: 1000)
        let client = try await server.connect()
        try await client.send(Self.post("/big", body: String(repeating: "y", count: 100_000)) + Self.post("/next", body: "ok"))
        let text = try await client.read { Self.answers($0).count == 2 }
        #expect(Self.answers(text) == ["POST /big 1001", "POST /next 2"])
        try await server.close()
    }

    @Test func connectionCloseIsAnsweredThenTheConnectionCloses() async throws {
        let server = try await Server()
        let client = try await server.connect()
        try await client.send(Self.post("/slow/last", body: "", connection: "close"))
        #expect(try await Self.answersBeforeClose(client) == ["POST /slow/last 0"], "answered, then closed")
        try await server.close()
    }

    @Test func aClientThatShutsItsSideGetsEveryAnswerThenTheConnectionCloses() async throws {
        let server = try await Server()
        let client = try await server.connect()
        try await client.send(Self.post("/slow/1", body: "a") + Self.post("/2", body: "bb"))
        try await client.finishSending()
        #expect(try await Self.answersBeforeClose(client) == ["POST /slow/1 1", "POST /2 2"], "answered, then closed")
        try await server.close()
    }

    @Test func aPipelinedRequestLeftUnfinishedAtTheClientsEndIsDroppedAfterTheOneBeforeIsAnswered() async throws {
        let server = try await Server()
        let client = try await server.connect()
        let unfinished = Self.post("/never", body: String(repeating: "u", count: 100))
        try await client.send(Self.post("/slow/whole", body: "w") + String(unfinished.prefix(unfinished.utf8.count - 10)))
        try await client.finishSending()
        #expect(try await Self.answersBeforeClose(client) == ["POST /slow/whole 1"], "answered, then closed")
        try await server.close()
    }

    @Test func aRequestLeftUnfinishedWhenTheClientShutsItsSideAfterItsLastAnswerIsDroppedUnanswered() async throws {
        let server = try await Server()
        let client = try await server.connect()
        try await client.send(Self.post("/1", body: "a"))
        #expect(Self.answers(try await client.read { Self.answers($0).count == 1 }) == ["POST /1 1"])
        let unfinished = Self.post("/never", body: String(repeating: "u", count: 100))
        try await client.send(String(unfinished.prefix(unfinished.utf8.count - 10)))
        try await client.finishSending()
        #expect(try await Self.answersBeforeClose(client) == ["POST /1 1"], "no answer to the unfinished request, then closed")
        try await server.close()
    }

    @Test func aMalformedRequestIsAnswered400AndTheConnectionCloses() async throws {
        let server = try await Server()
        let client = try await server.connect()
        try await client.send("NOT HTTP AT ALL\r\n\r\n")
        #expect(try await client.closedByServer())
        let text = try await client.read { _ in true }
        #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n") && text.lowercased().contains("connection: close"), "\(text)")
        #expect(text == "HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
        try await server.close()
    }

    /// The gateway passes a client's fields upstream as NIO's decoder read them, with no check of
    /// its own: the decoder refuses any that could split or smuggle a request.
    @Test(arguments: ["x-test: a\u{0}b", "x-test: a\u{1}b", "x-test: a\rb", "x-te st: a", "x-test\u{7f}: a", "x-test: a\u{7f}b"])
    func aFieldWithAControlByteOrANameThatIsNoTokenIsRefused(field: String) async throws {
        let server = try await Server()
        let client = try await server.connect()
        try await client.send("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n\(field)\r\ncontent-length: 0\r\n\r\n")
        #expect(try await client.closedByServer())
        let text = try await client.read { _ in true }
        #expect(text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(text)")
        try await server.close()
    }

    @Test func aRequestCutOffMidBodyByTheClientNeverReachesTheRoute() async throws {
        let server = try await Server()
        let client = try await server.connect()
        let request = Self.post("/v1/messages", body: String(repeating: "z", count: 100))
        try await client.send(String(request.prefix(request.utf8.count - 10)))
        try await client.finishSending()
        #expect(try await client.closedByServer())
        let text = try await client.read { _ in true }
        #expect(text.isEmpty || text.hasPrefix("HTTP/1.1 400 "), "\(text)")
        try await server.close()
    }

    @Test func aClientSilentForTheIdleTimeoutIsDisconnectedBetweenRequestsAndMidBody() async throws {
        let server = try await Server(idleTimeout: .milliseconds(300))
        let started = ContinuousClock.now
        let idle = try await server.connect(sending: Self.post("/1", body: "a"))
        let stalled = try await server.connect(sending: String(Self.post("/never", body: "0123456789").dropLast(4)))
        #expect(try await Self.answersBeforeClose(idle) == ["POST /1 1"], "answered, then closed once idle")
        #expect(try await stalled.closedByServer(), "a body that stops coming is not waited for")
        #expect(ContinuousClock.now - started >= .milliseconds(300))
        try await server.close()
    }

    @Test func aClientWaitingForASlowAnswerIsNotDisconnectedAndItsConnectionGoesOn() async throws {
        let server = try await Server(idleTimeout: .milliseconds(100))
        // Each answer takes 200 ms, twice the idle timeout; the second request, sent with the first,
        // is answered after it on the same connection.
        let client = try await server.connect(sending: Self.post("/slow/1", body: "") + Self.post("/slow/2", body: ""))
        #expect(try await Self.answersBeforeClose(client) == ["POST /slow/1 0", "POST /slow/2 0"], "both answered, then closed once idle")
        try await server.close()
    }

    @Test func aPathIsTakenAsSentAndAnAbsoluteOneByItsPath() async throws {
        let server = try await Server()
        let client = try await server.connect()
        try await client.send("GET /v1/models?limit=5&after_id=x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            + "GET http://127.0.0.1:3000/v1/models/claude-sonnet-4-5?beta=true HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let text = try await client.read { Self.answers($0).count == 2 }
        #expect(Self.answers(text) == ["GET /v1/models?limit=5&after_id=x 0", "GET /v1/models/claude-sonnet-4-5?beta=true 0"])
        try await server.close()
    }

    @Test func anHTTP10RequestWithoutKeepAliveIsAnsweredThenTheConnectionCloses() async throws {
        let server = try await Server()
        let client = try await server.connect()
        try await client.send("GET /old HTTP/1.0\r\n\r\n")
        #expect(try await Self.answersBeforeClose(client) == ["GET /old 0"])
        try await server.close()
    }

    @Test func aBodyIsHandedOverOnceAndTheRequestKeepsNoneOfIt() async throws {
        let request = ClientRequest(head: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/messages"), body: ByteBuffer(string: "hello"))
        #expect(request.takeBody().map { String(buffer: $0) } == "hello")
        #expect(request.takeBody() == nil, "the bytes went with the first taking")

        // As the router's routes get it.
        let routed = try HTTPServerService<RouterResponder<ConnectionContext>>.request(
            ClientRequest(head: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/messages"), body: ByteBuffer(string: "hello")))
        #expect(String(buffer: try await routed.body.collect(upTo: 100)) == "hello")
        #expect(try await routed.body.collect(upTo: 100).readableBytes == 0, "the bytes went with the first read")
    }
}

/// How a request's body is gathered from the parts NIO's decoder reads (``RequestHandler/append(_:to:limit:of:)``).
@Suite struct RequestBodyTests {
    static func head(announcing length: Int?) -> HTTPRequestHead {
        HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/messages", headers: length.map { ["content-length": "\($0)"] } ?? [:])
    }

    static func address(_ buffer: ByteBuffer?) -> UnsafeRawPointer? {
        buffer?.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func aBodyInOnePartIsThatPartNotACopy() {
        let part = ByteBuffer(string: #"{"model":"claude-sonnet-4-5"}"#)
        var body: ByteBuffer?
        RequestHandler.append(part, to: &body, limit: 1 << 20, of: Self.head(announcing: part.readableBytes))
        #expect(body == part)
        #expect(Self.address(body) == Self.address(part))
    }

    @Test func aBodyInSeveralPartsGoesIntoOneBufferOfTheAnnouncedSizeWrittenInPlace() {
        let parts = (0..<3).map { ByteBuffer(repeating: UInt8(ascii: "a") + UInt8($0), count: 100_000) }
        let head = Self.head(announcing: 300_000)
        var body: ByteBuffer?
        RequestHandler.append(parts[0], to: &body, limit: 1 << 20, of: head)
        RequestHandler.append(parts[1], to: &body, limit: 1 << 20, of: head)
        #expect((body?.capacity ?? 0) >= 300_000, "the announced length at the second part")
        let second = Self.address(body)
        RequestHandler.append(parts[2], to: &body, limit: 1 << 20, of: head)
        #expect(Self.address(body) == second, "the third part is written where the second went")
        #expect(body == ByteBuffer(bytes: parts.flatMap { Array($0.readableBytesView) }))
    }

    @Test func aClientThatAnnouncesMoreThanItSendsGetsABufferAtMostFourMegabytesAheadOfIt() {
        let head = Self.head(announcing: 1 << 30)
        var body: ByteBuffer?
        for _ in 0..<3 { RequestHandler.append(ByteBuffer(repeating: 0x61, count: 10), to: &body, limit: 2 << 30, of: head) }
        #expect(body?.readableBytes == 30)
        let capacity = body?.capacity ?? 0
        #expect(capacity >= 20 + RequestHandler.largestAllocationAhead && capacity <= 2 * RequestHandler.largestAllocationAhead,
                "\(capacity) bytes for 30 that came of the 1 GB announced")
    }

    @Test func aBodyPastTheLimitIsKeptToOneBytePastIt() {
        let head = Self.head(announcing: 5000)
        var body: ByteBuffer?
        for _ in 0..<5 { RequestHandler.append(ByteBuffer(repeating: 0x62, count: 1000), to: &body, limit: 2500, of: head) }
        #expect(body?.readableBytes == 2501)
    }
}
