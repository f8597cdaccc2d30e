import HTTPTypes
import Hummingbird
import Logging
import CCOAnalytics
import NIOCore
import NIOHTTP1
import NIOEmbedded
import Testing
import CCOCore
@testable import CCOGateway

/// The guard in front of a router whose one route answers 200.
@Suite struct SameOriginGuardTests {
    func status(host: String?, headers: HTTPFields = [:], allowedHosts: [String] = [], configHost: String = "127.0.0.1") async throws -> Int {
        var config = DaemonConfig()
        config.allowedHosts = allowedHosts
        config.host = configHost
        let router = Router(context: ConnectionContext.self)
        router.post("/v1/messages") { _, _ in "reached" }
        let guarded = SameOriginGuard(config: config, metrics: GatewayMetrics(), logger: Logger(label: "test")).guarding(router.buildResponder())
        let context = ConnectionContext(source: .init(channel: EmbeddedChannel(), logger: Logger(label: "test")))
        var head = HTTPRequest(method: .post, scheme: "http", authority: host, path: "/v1/messages")
        head.headerFields = headers
        let response = try await guarded.respond(to: Request(head: head, body: .init(buffer: ByteBuffer())), context: context)
        return response.status.code
    }

    @Test(arguments: ["127.0.0.1:3000", "127.0.0.1", "localhost:3000", "localhost", "LOCALHOST", "[::1]:3000", "127.1.2.3", "cco.localhost:3000"])
    func loopbackHostsPass(host: String) async throws {
        #expect(try await status(host: host) == 200)
    }

    @Test func aRebindingHostIsRefusedUnlessAllowed() async throws {
        #expect(try await status(host: "attacker.example.com") == 421)
        #expect(try await status(host: "attacker.example.com:3000") == 421)
        #expect(try await status(host: "127.0.0.1.attacker.example.com") == 421)
        #expect(try await status(host: "localhost.attacker.example.com:3000") == 421)
        #expect(try await status(host: "localhostattacker.example.com") == 421)
        #expect(try await status(host: "cco.home.arpa:3000", allowedHosts: ["cco.home.arpa"]) == 200)
        #expect(try await status(host: "192.168.1.5:3000", configHost: "192.168.1.5") == 200, "the configured host")
        #expect(try await status(host: nil) == 200, "no Host (HTTP/1.0) is no browser")
    }

    @Test func crossSiteRequestsAreRefused() async throws {
        #expect(try await status(host: "127.0.0.1:3000", headers: [.origin: "https://evil.example"]) == 403)
        #expect(try await status(host: "127.0.0.1:3000", headers: [.origin: "null"]) == 403)
        #expect(try await status(host: "127.0.0.1:3000", headers: [.origin: "http://127.0.0.1:8080"]) == 403, "another local port is another origin")
        #expect(try await status(host: "127.0.0.1:3000", headers: [.origin: "http://127.0.0.1:3000"]) == 200, "the daemon's own page")
        #expect(try await status(host: "127.0.0.1:3000", headers: [SameOriginGuard.secFetchSite: "cross-site"]) == 403)
        #expect(try await status(host: "127.0.0.1:3000", headers: [SameOriginGuard.secFetchSite: "same-origin"]) == 200)
    }
}

@Suite struct GatewayHeaderTests {
    @Test func rateLimitHeadersAreFoundInAnyCase() {
        #expect(Gateway.rateLimitHeader("anthropic-ratelimit-unified-5h-utilization", "v")?.key == "5h-utilization")
        #expect(Gateway.rateLimitHeader("Anthropic-RateLimit-Unified-Status", "v")?.key == "status")
        #expect(Gateway.rateLimitHeader("anthropic-ratelimit-unified-", "v")?.key == nil)
        #expect(Gateway.rateLimitHeader("anthropic-ratelimit-requests-limit", "v")?.key == nil)
        #expect(Gateway.rateLimitHeader("content-type", "v")?.key == nil)
        #expect(Gateway.rateLimitHeader("anthropic-ratelimit-unified-7D-Reset", "v")?.key == "7d-reset")
        #expect(Gateway.rateLimitHeader("x-anthropic-ratelimit-unified-status", "v")?.key == nil)
        #expect(Gateway.rateLimitHeader("anthropic_ratelimit_unified_status", "v")?.key == nil)
    }

    @Test func theUpstreamGetsTheEndToEndHeadersWithItsOwnHostAndTheBodysLengthUnderItsBasePath() throws {
        let headers: HTTPHeaders = [
            "Host": "127.0.0.1:3000", "Connection": "keep-alive", "content-length": "99", "Accept-Encoding": "gzip", "cache-control": "no-cache",
            "X-Api-Key": "sk-test", "anthropic-version": "2023-06-01", "X-CCO-Project": "cco", "x-claude-code-session-id": "s1",
        ]
        let request = HTTPRequestHead(version: .http1_1, method: .POST, uri: "http://127.0.0.1:3000/v1/messages?beta=true", headers: headers)
        let upstream = try #require(UpstreamURL("https://proxy.example:8443/anthropic"))
        let sent = Gateway.upstreamRequest(request, target: "/v1/messages?beta=true", body: ByteBuffer(string: "{}"), to: upstream)
        #expect(sent.head.method == .POST)
        #expect(sent.head.uri == "/anthropic/v1/messages?beta=true")
        #expect(sent.head.headers["host"] == ["proxy.example:8443"])
        #expect(sent.head.headers["content-length"] == ["2"])
        #expect(sent.head.headers["x-api-key"] == ["sk-test"], "passed on in the case it came in")
        #expect(sent.head.headers.contains { $0.name == "X-Api-Key" })
        #expect(sent.head.headers["anthropic-version"] == ["2023-06-01"])
        #expect(sent.head.headers["x-claude-code-session-id"] == ["s1"])
        for dropped in ["connection", "accept-encoding", "cache-control", "x-cco-project"] {
            #expect(sent.head.headers[dropped].isEmpty, "\(dropped) is not passed on")
        }
        #expect(sent.head.headers.count == 5, "the key, the version, the session, Host and the length: \(sent.head.headers)")
    }

    @Test func theClientGetsTheUpstreamsHeadersButThoseOfOneConnectionOrOfItsServer() {
        let upstream: HTTPHeaders = [
            "Content-Type": "application/json", "Content-Length": "42", "Connection": "keep-alive", "Date": "Sat, 05 Dec 2026 10:00:00 GMT",
            "request-id": "req_1", "Server": "cloudflare", "anthropic-ratelimit-unified-status": "allowed", "Transfer-Encoding": "chunked",
        ]
        let relayed = Gateway.relayedResponseHeaders(upstream)
        #expect(relayed.map(\.name) == ["Content-Type", "request-id", "anthropic-ratelimit-unified-status"])
    }

    @Test func headerNamesMatchInAnyCaseAndOnlyWhole() {
        let names = HeaderNames(["content-length", "te"])
        #expect(names.contains("content-length"))
        #expect(names.contains("Content-Length"))
        #expect(names.contains("TE"))
        #expect(!names.contains("content-lengths"))
        #expect(!names.contains("content_length"), "a byte that differs from `-` by the case bit is not `-`")
        #expect(!names.contains("tf"))
        #expect(!names.contains(""))
        let prefix = HeaderNames(["x-cco-"])
        #expect(prefix.isPrefix(of: "X-CCO-Project"))
        #expect(prefix.isPrefix(of: "x-cco-"))
        #expect(!prefix.isPrefix(of: "x-cc"))
        #expect(!prefix.isPrefix(of: "x-ccx-project"))
    }

    @Test(arguments: [
        ("https://api.anthropic.com", "api.anthropic.com"), ("http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("http://[::1]:9000/base", "[::1]:9000"), ("http://h:80", "h"), ("https://h:80", "h:80"),
    ])
    func theHostHeaderNamesThePortOnlyWhenItIsNotTheSchemesDefault(text: String, authority: String) throws {
        #expect(try #require(UpstreamURL(text)).authority == authority)
    }
}
