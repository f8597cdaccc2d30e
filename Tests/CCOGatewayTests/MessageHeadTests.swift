import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import CCOGateway

/// Message heads as bytes (``MessageHead``): a request's head is what NIO's encoder wrote for it,
/// a response's framing follows RFC 9112 §6.3, chunk sizes are hexadecimal.
@Suite struct MessageHeadTests {
    /// A request as the gateway sends it for Claude Code: its fields in the client's case and
    /// order, `Host` and `Content-Length` of cco's.
    static let claudeCodeRequest = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/messages?beta=true", headers: HTTPHeaders([
        ("accept", "application/json"), ("anthropic-beta", "claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14"),
        ("anthropic-dangerous-direct-browser-access", "true"), ("anthropic-version", "2023-06-01"), ("authorization", "Bearer sk-ant-oat01-xyz"),
        ("content-type", "application/json"), ("user-agent", "claude-cli/2.0.55 (external, cli)"), ("x-app", "cli"),
        ("X-Stainless-Retry-Count", "0"), ("x-stainless-timeout", "600"), ("x-stainless-lang", "js"), ("x-claude-code-session-id", "6f1c…"),
        ("Host", "api.anthropic.com"), ("Content-Length", "48213"),
    ]))

    @Test(arguments: [
        claudeCodeRequest,
        HTTPRequestHead(version: .http1_1, method: .GET, uri: "/v1/models"),
        HTTPRequestHead(version: .http1_0, method: .RAW(value: "PURGE"), uri: "/a%20b", headers: ["x-note": "café ☕"]),
    ])
    func aRequestHeadIsTheBytesNIOsEncoderWroteForIt(_ head: HTTPRequestHead) throws {
        var configuration = HTTPRequestEncoder.Configuration()
        configuration.automaticallySetFramingHeaders = false
        let channel = EmbeddedChannel(handler: HTTPRequestEncoder(configuration: configuration))
        try channel.writeOutbound(HTTPClientRequestPart.head(head))
        let nio = try #require(try channel.readOutbound(as: ByteBuffer.self))
        var written = ByteBuffer()
        written.writeRequestHead(head)
        #expect(String(buffer: written) == String(buffer: nio))
    }

    @Test func aRequestHeadIsWrittenAfterWhatTheBufferHolds() {
        var buffer = ByteBuffer(string: "before")
        buffer.writeRequestHead(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["a": "b"]))
        #expect(String(buffer: buffer) == "beforeGET / HTTP/1.1\r\na: b\r\n\r\n")
    }

    @Test(arguments: [(0, "0"), (1, "1"), (10, "a"), (15, "f"), (16, "10"), (255, "ff"), (4096, "1000"), (65_535, "ffff"), (1 << 40, "10000000000")])
    func aChunksSizeLineIsItsSizeInHexadecimal(_ size: Int, _ hex: String) {
        var buffer = ByteBuffer()
        buffer.writeChunkSize(size)
        #expect(String(buffer: buffer) == hex + "\r\n")
    }

    @Test func theLastChunkCarriesTheTrailersFields() {
        var bare = ByteBuffer()
        bare.writeLastChunk(trailers: nil)
        #expect(String(buffer: bare) == "0\r\n\r\n")
        var trailed = ByteBuffer()
        trailed.writeLastChunk(trailers: ["x-a": "1", "X-B": "two"])
        #expect(String(buffer: trailed) == "0\r\nx-a: 1\r\nX-B: two\r\n\r\n")
    }

    @Test func fieldNamesAreMatchedWhateverTheirCase() {
        #expect(MessageHead.contentLength.contains("Content-Length"))
        #expect(MessageHead.contentLength.contains("CONTENT-LENGTH"))
        #expect(!MessageHead.contentLength.contains("content-lengths"))
        #expect(!MessageHead.contentLength.contains("content_length"))
        // Only letters are folded: a byte 0x20 apart from `-` is not `-`.
        #expect(!MessageHead.contentLength.contains("content\rlength"))
    }

    @Test(arguments: [
        (HTTPResponseStatus.ok, [("content-length", "2")], HTTPMethod.GET, HTTPVersion.http1_1, ResponseFraming.length),
        (.ok, [("Content-Length", "2")], .POST, .http1_0, .length),
        (.ok, [("content-type", "text/event-stream")], .POST, .http1_1, .chunked),
        (.ok, [("transfer-encoding", "chunked")], .POST, .http1_1, .chunked),
        (.ok, [("content-type", "text/event-stream")], .GET, .http1_0, .close),
        (.ok, [("content-length", "2")], .HEAD, .http1_1, .none),
        (.ok, [], .HEAD, .http1_0, .none),
        (.noContent, [], .GET, .http1_1, .none),
        (.notModified, [("content-length", "9")], .GET, .http1_1, .none),
        (.continue, [], .POST, .http1_1, .none),
        (.ok, [], .CONNECT, .http1_1, .none),
        (.badGateway, [], .CONNECT, .http1_1, .chunked),
    ] as [(HTTPResponseStatus, [(String, String)], HTTPMethod, HTTPVersion, ResponseFraming)])
    func anAnswersFramingFollowsItsRequestStatusAndLength(_ status: HTTPResponseStatus, _ fields: [(String, String)], _ method: HTTPMethod,
                                                         _ version: HTTPVersion, _ framing: ResponseFraming) {
        var buffer = ByteBuffer()
        #expect(buffer.writeResponseHead(HTTPResponseHead(version: .http1_1, status: status, headers: HTTPHeaders(fields)), answering: method, version: version)
                == framing)
    }

    @Test func aChunkedHeadSaysSoAndDropsTheRoutesTransferEncoding() {
        var buffer = ByteBuffer()
        let framing = buffer.writeResponseHead(HTTPResponseHead(version: .http1_1, status: .ok, headers: ["Transfer-Encoding": "gzip", "x-a": "b"]),
                                               answering: .POST, version: .http1_1)
        #expect(framing == .chunked)
        #expect(String(buffer: buffer) == "HTTP/1.1 200 OK\r\nx-a: b\r\ntransfer-encoding: chunked\r\n\r\n")
    }

    @Test func aStatusOutsideThreeDigitsIsWrittenAsItIs() {
        var buffer = ByteBuffer()
        _ = buffer.writeResponseHead(HTTPResponseHead(version: .http1_1, status: .custom(code: 1000, reasonPhrase: "Odd"), headers: ["content-length": "0"]),
                                     answering: .GET, version: .http1_1)
        #expect(String(buffer: buffer) == "HTTP/1.1 1000 Odd\r\ncontent-length: 0\r\n\r\n")
    }
}
