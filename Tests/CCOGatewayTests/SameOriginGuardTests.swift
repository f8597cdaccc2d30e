import Hummingbird
import Logging
import NIOCore
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

    @Test(arguments: ["127.0.0.1:3000", "localhost:3000", "LOCALHOST", "[::1]:3000", "127.1.2.3", "cco.localhost:3000"])
    func loopbackHostsPass(host: String) async throws {
        #expect(try await status(host: host) == 200)
    }

    @Test func aRebindingHostIsRefusedUnlessAllowed() async throws {
        #expect(try await status(host: "attacker.example.com") == 421)
        #expect(try await status(host: "attacker.example.com:3000") == 421)
        #expect(try await status(host: "127.0.0.1.attacker.example.com") == 421)
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
    }
}
