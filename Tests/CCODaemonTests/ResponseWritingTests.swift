import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
import CCOGateway
@testable import CCODaemon

/// The bytes a ``RequestHandler`` writes for an answer: what NIO's HTTP/1 encoder wrote for the
/// same parts, where the two agree on the framing, and the framing of answers it did not get right
/// (a route's `Transfer-Encoding`, an HTTP/1.0 client).
@Suite struct ResponseWritingTests {
    /// An answer as a route writes it: a head, body parts, an end.
    struct Answer: Sendable, CustomTestStringConvertible {
        var status: HTTPResponseStatus
        var fields: [(String, String)]
        var parts: [String] = []
        var trailers: [(String, String)]? = nil
        var testDescription: String { "\(status.code) \(fields.map(\.0)) \(parts.map(\.utf8.count))" }

        var head: HTTPResponseHead { HTTPResponseHead(version: .http1_1, status: status, headers: HTTPHeaders(fields)) }
    }

    /// One connection served by a ``RequestHandler`` whose answer to every request is `answer`.
    struct Connection {
        let channel = EmbeddedChannel()

        init(answering answer: Answer) throws {
            let respond: RequestHandler.Respond = { _, channel in
                channel.write(HTTPServerResponsePart.head(answer.head), promise: nil)
                for part in answer.parts { channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: part))), promise: nil) }
                channel.writeAndFlush(HTTPServerResponsePart.end(answer.trailers.map(HTTPHeaders.init)), promise: nil)
            }
            let handler = RequestHandler(executor: ServingLoopExecutor(loop: channel.embeddedEventLoop), idleTimeout: .hours(1),
                                         drain: ConnectionDrain(idleGrace: .seconds(1), coordinator: DrainCoordinator(drainTimeout: .seconds(600), recorder: nil)),
                                         bodyLimit: { 1 << 20 }, respond: respond)
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        }

        /// What goes out for a request of `method` and `version`, once it is answered.
        func bytes(answering method: HTTPMethod = .GET, version: HTTPVersion = .http1_1) throws -> String {
            var headers: HTTPHeaders = [:]
            if version == .http1_0 { headers.add(name: "connection", value: "keep-alive") }
            try channel.writeInbound(HTTPServerRequestPart.head(HTTPRequestHead(version: version, method: method, uri: "/v1/messages", headers: headers)))
            try channel.writeInbound(HTTPServerRequestPart.end(nil))
            // The answer runs as a task on the loop: a few turns let it write everything.
            for _ in 0..<8 { channel.embeddedEventLoop.run() }
            var written = ""
            while let bytes = try channel.readOutbound(as: ByteBuffer.self) { written += String(buffer: bytes) }
            return written
        }
    }

    /// The bytes NIO's `HTTPResponseEncoder` writes for `answer`, on its own.
    static func nioEncoded(_ answer: Answer) throws -> String {
        let channel = EmbeddedChannel(handler: HTTPResponseEncoder())
        try channel.writeOutbound(HTTPServerResponsePart.head(answer.head))
        for part in answer.parts { try channel.writeOutbound(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: part)))) }
        try channel.writeOutbound(HTTPServerResponsePart.end(answer.trailers.map(HTTPHeaders.init)))
        var written = ""
        while let bytes = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = bytes else { continue }
            written += String(buffer: buffer)
        }
        return written
    }

    static let event = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"

    static let answersFramedAsNIOFramedThem: [Answer] = [
        // A whole answer, as the gateway relays it: its length, the upstream's fields in their case.
        Answer(status: .ok, fields: [("Content-Type", "application/json"), ("request-id", "req_011CV"), ("anthropic-ratelimit-unified-status", "allowed"),
                                     ("content-length", "18"), ("date", "Sun, 06 Dec 2026 03:00:00 GMT"), ("server", "cco")],
               parts: ["{\"type\":\"message\"}"]),
        // A stream: chunks, small ones copied with their framing, one past the copy bound, an empty part.
        Answer(status: .ok, fields: [("content-type", "text/event-stream"), ("cache-control", "no-cache")],
               parts: [event, String(repeating: "x", count: RequestHandler.largestCopiedChunk + 1), "", event]),
        // A value of UTF-8 beyond ASCII, a status of the upstream's own, no body.
        Answer(status: .custom(code: 529, reasonPhrase: "Overloaded"), fields: [("x-note", "café ☕"), ("content-length", "0")]),
        Answer(status: HTTPResponseStatus(statusCode: 529), fields: [("content-length", "0")]),
        // A 204 and a 1xx carry no length and no body.
        Answer(status: .noContent, fields: [("content-length", "0"), ("x-a", "b")]),
        // Trailers after the last chunk.
        Answer(status: .ok, fields: [("content-type", "text/plain")], parts: ["abc"], trailers: [("x-checksum", "1")]),
        // Fields of many kinds, in Claude Code's numbers.
        Answer(status: .tooManyRequests, fields: (0..<40).map { ("anthropic-ratelimit-header-\($0)", String(repeating: "v", count: $0 * 3)) } + [("content-length", "2")],
               parts: ["{}"]),
    ]

    @Test(arguments: answersFramedAsNIOFramedThem)
    func anAnswerIsTheBytesNIOsEncoderWroteForIt(_ answer: Answer) throws {
        let connection = try Connection(answering: answer)
        #expect(try connection.bytes() == Self.nioEncoded(answer))
    }

    @Test func aRoutesOwnTransferEncodingIsNotWrittenItsLengthFramesTheBody() throws {
        let connection = try Connection(answering: Answer(status: .ok, fields: [("Transfer-Encoding", "gzip"), ("content-length", "2")], parts: ["ok"]))
        #expect(try connection.bytes() == "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
    }

    @Test func anAnswerToHEADKeepsItsLengthAndSendsNoBodyAndTheConnectionServesTheNext() throws {
        let connection = try Connection(answering: Answer(status: .ok, fields: [("content-length", "5")], parts: ["hello"]))
        #expect(try connection.bytes(answering: .HEAD) == "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n")
        #expect(connection.channel.isActive)
        #expect(try connection.bytes(answering: .GET) == "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello")
    }

    @Test func aStreamToAnHTTP10ClientIsNotChunkedAndEndsWithTheConnection() throws {
        let connection = try Connection(answering: Answer(status: .ok, fields: [("content-type", "text/event-stream")], parts: [Self.event, Self.event]))
        #expect(try connection.bytes(version: .http1_0) == "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n" + Self.event + Self.event)
        #expect(!connection.channel.isActive, "the close is the body's end")
    }

    @Test func aWholeAnswerToAnHTTP10ClientThatAskedToKeepItsConnectionKeepsIt() throws {
        let connection = try Connection(answering: Answer(status: .ok, fields: [("content-length", "2")], parts: ["ok"]))
        #expect(try connection.bytes(version: .http1_0) == "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        #expect(connection.channel.isActive)
    }
}
