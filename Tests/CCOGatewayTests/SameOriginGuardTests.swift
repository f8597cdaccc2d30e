import HTTPTypes
import Hummingbird
import Logging
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
        #expect(Gateway.rateLimitName("anthropic-ratelimit-unified-5h-utilization") == "5h-utilization")
        #expect(Gateway.rateLimitName("Anthropic-RateLimit-Unified-Status") == "status")
        #expect(Gateway.rateLimitName("anthropic-ratelimit-unified-") == nil)
        #expect(Gateway.rateLimitName("anthropic-ratelimit-requests-limit") == nil)
        #expect(Gateway.rateLimitName("content-type") == nil)
        #expect(Gateway.rateLimitName("anthropic-ratelimit-unified-7D-Reset") == "7d-reset")
        #expect(Gateway.rateLimitName("x-anthropic-ratelimit-unified-status") == nil)
        #expect(Gateway.rateLimitName("anthropic_ratelimit_unified_status") == nil)
    }

    @Test func theUpstreamGetsTheEndToEndHeadersWithItsOwnHostAndTheBodysLengthUnderItsBasePath() throws {
        let fields: HTTPFields = [
            .connection: "keep-alive", .contentLength: "99", .acceptEncoding: "gzip", .cacheControl: "no-cache",
            HTTPField.Name("x-api-key")!: "sk-test", HTTPField.Name("anthropic-version")!: "2023-06-01",
            HTTPField.Name("x-cco-project")!: "cco", HTTPField.Name("x-claude-code-session-id")!: "s1",
        ]
        let request = Request(head: HTTPRequest(method: .post, scheme: nil, authority: "127.0.0.1:3000", path: "/v1/messages?beta=true", headerFields: fields),
                              body: RequestBody(buffer: ByteBuffer()))
        let upstream = try #require(UpstreamURL("https://proxy.example:8443/anthropic"))
        let sent = Gateway.upstreamRequest(request, path: "/v1/messages?beta=true", body: ByteBuffer(string: "{}"), to: upstream)
        #expect(sent.head.method == .POST)
        #expect(sent.head.uri == "/anthropic/v1/messages?beta=true")
        #expect(sent.head.headers["host"] == ["proxy.example:8443"])
        #expect(sent.head.headers["content-length"] == ["2"])
        #expect(sent.head.headers["x-api-key"] == ["sk-test"])
        #expect(sent.head.headers["anthropic-version"] == ["2023-06-01"])
        #expect(sent.head.headers["x-claude-code-session-id"] == ["s1"])
        for dropped in ["connection", "accept-encoding", "cache-control", "x-cco-project"] {
            #expect(sent.head.headers[dropped].isEmpty, "\(dropped) is not passed on")
        }
    }

    @Test(arguments: [
        ("https://api.anthropic.com", "api.anthropic.com"), ("http://127.0.0.1:8080", "127.0.0.1:8080"),
        ("http://[::1]:9000/base", "[::1]:9000"), ("http://h:80", "h"), ("https://h:80", "h:80"),
    ])
    func theHostHeaderNamesThePortOnlyWhenItIsNotTheSchemesDefault(text: String, authority: String) throws {
        #expect(try #require(UpstreamURL(text)).authority == authority)
    }
}
