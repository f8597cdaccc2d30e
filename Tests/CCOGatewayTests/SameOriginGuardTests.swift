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
        let relayed = Gateway.relayed(upstream)
        #expect(relayed.headers.map(\.name) == ["Content-Type", "request-id", "anthropic-ratelimit-unified-status"])
    }

    /// The one pass over the answer's fields reads what the call's row keeps, in any case: the
    /// first `request-id` and `content-type`, and every unified rate-limit header in order.
    @Test func theAnswersRequestIDContentTypeAndRateLimitsAreReadInThePassThatRelaysIt() {
        let upstream: HTTPHeaders = [
            "Date": "Sat, 05 Dec 2026 10:00:00 GMT", "Anthropic-Ratelimit-Unified-Status": "allowed", "Request-Id": "req_1",
            "content-type": "text/event-stream; charset=utf-8", "anthropic-ratelimit-unified-5h-utilization": "0.25",
            "request-id": "req_2", "Content-Type": "application/json", "anthropic-ratelimit-requests-limit": "50",
            "cf-ray": "8f1e2d3c4b5a6978-AMS",
        ]
        let relayed = Gateway.relayed(upstream)
        #expect(relayed.requestID == "req_1")
        #expect(relayed.contentType == "text/event-stream; charset=utf-8")
        #expect(relayed.rateLimits.map(\.key) == ["status", "5h-utilization"])
        #expect(relayed.rateLimits.map(\.value) == ["allowed", "0.25"])
        #expect(relayed.headers.count == 8, "every field but the date")
        #expect(Gateway.relayed(["content-length": "2"]).requestID == nil && Gateway.relayed(["content-length": "2"]).contentType == nil)
    }

    /// The first value of each name, in one pass, names of the same length told apart.
    @Test func firstValuesAreEachNamesFirstInAnyCase() {
        let headers: HTTPHeaders = [
            "Host": "127.0.0.1:3000", "user-agent": "claude-cli/2.0.37 (external, cli)", "HOST": "second.example",
            "x-claude-code-session-id": "s1", "Origin": "http://127.0.0.1:3000", "x-claude-code-agent-id": "a1",
        ]
        let names = ["host", "origin", "sec-fetch-site", "x-claude-code-session-id", "user-agent", "x-claude-code-agent-id"]
        func values(_ names: [String], _ headers: HTTPHeaders) -> [String?] {
            var values = [String?](repeating: nil, count: names.count)
            HeaderNames(names).firstValues(in: headers) { index, value in
                #expect(values[index] == nil, "each name is handed over once")
                values[index] = value
            }
            return values
        }
        #expect(values(names, headers) == ["127.0.0.1:3000", "http://127.0.0.1:3000", nil, "s1", "claude-cli/2.0.37 (external, cli)", "a1"])
        #expect(values(names, [:]) == [nil, nil, nil, nil, nil, nil])
        #expect(values(["pragma"], ["origin": "x"]) == [nil], "same length, another name")
        let many = (0 ..< 64).map { "x-field-\($0)" }
        #expect(values(many, ["x-field-63": "last", "X-Field-0": "first"]) == ["first"] + Array(repeating: nil, count: 62) + ["last"])
    }

    /// A call's client and attribution: each header's first value, an empty one taken as absent,
    /// a long one cut to 200 characters (not bytes).
    @Test func aCallsAttributionIsEachHeadersFirstValueKeptToTwoHundredCharacters() {
        let long = String(repeating: "é", count: 150) + String(repeating: "a", count: 100)
        let (client, attribution) = Gateway.attribution(of: [
            "User-Agent": "claude-cli/2.0.37 (external, cli)", "x-claude-code-session-id": "", "X-Claude-Code-Session-Id": "s2",
            "x-claude-code-agent-id": long, "x-claude-code-parent-agent-id": String(repeating: "p", count: 200), "x-cco-project": "billing",
        ])
        #expect(client == "claude-cli/2.0.37 (external, cli)")
        #expect(attribution.clientName == "claude-cli" && attribution.clientVersion == "2.0.37")
        #expect(attribution.session == nil, "the first is empty")
        #expect(attribution.agent == String(repeating: "é", count: 150) + String(repeating: "a", count: 50))
        #expect(attribution.parentAgent == String(repeating: "p", count: 200))
        #expect(attribution.project == "billing")
        #expect(Gateway.attribution(of: [:]).client == nil && Gateway.attribution(of: [:]).attribution.session == nil)
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
        let long = "x-" + String(repeating: "a", count: 70)
        #expect(HeaderNames([long]).contains(long.uppercased()), "a name past 63 bytes")
        #expect(!HeaderNames([long]).contains(long + "a") && !HeaderNames([long]).contains(String(long.dropLast())))
        #expect(HeaderNames(["origin", "pragma", "te"]).index(of: "Pragma") == 1 && HeaderNames(["origin", "pragma"]).index(of: "proxy") == nil)
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
