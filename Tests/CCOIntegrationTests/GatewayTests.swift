import Foundation
#if canImport(Glibc)
import Glibc
#endif
import CCOCore
import CCOAnalytics
import CCOSQLite
import NIOHTTP1
import NIOCore
import AsyncHTTPClient
import Testing

/// The gateway in the built `cco` binary, forwarding to a fake upstream that the test starts on
/// 127.0.0.1; every call is a real HTTP request, every count comes from the fake or the database.
@Suite struct GatewayTests {
    @Test func aRepeatedRequestIsAnsweredFromTheCacheWithOneUpstreamCall() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            let first = try await HTTP.message(port: port)
            #expect(first.status == 200)
            #expect(first.cache == "miss")
            let second = try await HTTP.message(port: port)
            #expect(second.status == 200)
            #expect(second.cache == "hit")
            #expect(second.headers["age"] != nil)
            #expect(second.body == first.body)
            #expect(try fake.counts().messages == 1)
        }
    }

    @Test func bothCredentialFormsPassThroughAndNeverShareACachedAnswer() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            let keyed = try await HTTP.message(port: port, headers: [("x-api-key", "sk-one"), ("anthropic-version", "2023-06-01"), ("anthropic-beta", "b1")])
            #expect(keyed.status == 200)
            let seen = try fake.counts().lastHeaders
            #expect(seen["x-api-key"] == "sk-one")
            #expect(seen["anthropic-version"] == "2023-06-01")
            #expect(seen["anthropic-beta"] == "b1")
            #expect(seen["accept-encoding"] == nil)

            let bearer = try await HTTP.message(port: port, headers: [("authorization", "Bearer sk-two"), ("anthropic-version", "2023-06-01"), ("anthropic-beta", "b1")])
            #expect(bearer.status == 200)
            #expect(bearer.cache == "miss")
            #expect(try fake.counts().lastHeaders["authorization"] == "Bearer sk-two")
            #expect(try fake.counts().messages == 2)
            // Each credential hits only its own entry.
            #expect(try await HTTP.message(port: port, headers: [("authorization", "Bearer sk-two"), ("anthropic-version", "2023-06-01"), ("anthropic-beta", "b1")]).cache == "hit")
            #expect(try await HTTP.message(port: port, headers: [("x-api-key", "sk-three"), ("anthropic-version", "2023-06-01"), ("anthropic-beta", "b1")]).cache == "miss")
            #expect(try fake.counts().messages == 3)
        }
    }

    @Test func noCacheStreamingAndCacheModeOffGoUpstream() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            _ = try await HTTP.message(port: port)
            let bypass = try await HTTP.message(port: port, headers: [("x-api-key", "sk-test-key"), ("cache-control", "no-cache")])
            #expect(bypass.cache == "bypass")
            #expect(try fake.counts().messages == 2)
            let streamed = try await HTTP.message(port: port, stream: true)
            #expect(streamed.cache == "bypass")
            #expect(try fake.counts().messages == 3)

            try cco.configure(upstream: fake.url, "cache_mode = \"off\"")
            #expect(try cco.run("daemon", "reload").status == 0)
            #expect(eventually { (try? cco.run("daemon", "logs", "-n", "5").stdout.contains("reloaded")) == true })
            #expect(try await HTTP.message(port: port).cache == "bypass")
            #expect(try fake.counts().messages == 4)
        }
    }

    @Test func anEntryExpiresAfterCacheTTL() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake, "cache_ttl = 2") { cco, port in
            let clock = ContinuousClock()
            let beforeMiss = clock.now
            #expect(try await HTTP.message(port: port).cache == "miss")
            let second = try await HTTP.message(port: port)
            // The entry was stored after `beforeMiss`; within the TTL of that, it must answer. (On a
            // machine so loaded that two requests took longer than the TTL, it may have expired.)
            let secondWasWithinTTL = clock.now - beforeMiss < .seconds(2)
            if secondWasWithinTTL { #expect(second.cache == "hit") }
            let afterSecond = clock.now
            try await Task.sleep(until: afterSecond + .milliseconds(2100))
            // More than the TTL after any store: always a miss.
            #expect(try await HTTP.message(port: port).cache == "miss")
            #expect(try fake.counts().messages == (second.cache == "hit" ? 2 : 3))
        }
    }

    @Test func theByteBoundEvictsTheLeastRecentlyUsedAnswer() async throws {
        let fake = try FakeUpstream()
        // Each answer costs about 470 bytes: two fit, three do not.
        try await withGateway(fake, "cache_size = 1000") { cco, port in
            #expect(try await HTTP.message(port: port, text: "a").cache == "miss")
            #expect(try await HTTP.message(port: port, text: "b").cache == "miss")
            #expect(try await HTTP.message(port: port, text: "a").cache == "hit")   // b is now the least recently used
            #expect(try await HTTP.message(port: port, text: "c").cache == "miss")  // evicts b
            #expect(try await HTTP.message(port: port, text: "a").cache == "hit")
            #expect(try await HTTP.message(port: port, text: "b").cache == "miss")
            #expect(try fake.counts().messages == 4)
            let metrics = try await HTTP.send(.GET, port: port, path: "/metrics")
            #expect(metricValue(metrics.text, "cco_cache_evictions_total") ?? 0 >= 2)
            #expect(metricValue(metrics.text, "cco_cache_bytes") ?? .infinity <= 1000)
        }
    }

    @Test func aStreamsHeadReachesTheClientWhileTheUpstreamHoldsItsFirstEvent() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            // The fake sends the head, then holds the stream before message_start until the test
            // releases it. The daemon writes a stream's head unflushed, to leave with the first
            // event; with no event behind it, the head must still leave at once.
            let body = #"{"model":"claude-haiku-4-5","max_tokens":33,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            let request = HTTP.streamRequest(port: port, body: body, [("x-fake-hold-first", "head")])
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            #expect(response.status == .ok)
            let upstream = try fake.hold("head")
            #expect(upstream == "holding", "the head reached the client when the upstream was \(upstream ?? "not yet holding")")
            try await fake.release("head")
            var relayed: [UInt8] = []
            for try await chunk in response.body { relayed += Array(buffer: chunk) }
            let text = String(decoding: relayed, as: UTF8.self)
            #expect(text.hasPrefix("event: message_start"))
            #expect(text.contains("\"message_stop\""))
        }
    }

    @Test func aStreamArrivesIntactInOrderAndAsItIsProduced() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            let body = #"{"model":"claude-haiku-4-5","max_tokens":33,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            let direct = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages", body: body, headers: [("x-api-key", "sk-test-key")])

            // The fake holds the stream before its last event until the test releases it. Relayed as
            // they come, the first nine events reach the client while the upstream is still holding;
            // buffered, nothing would arrive until the fake gave up waiting 20 s later.
            let request = HTTP.streamRequest(port: port, body: body, [("x-fake-hold", "relay")])
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            #expect(response.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
            var relayed: [UInt8] = []
            var upstreamWhenNineArrived: String?
            for try await chunk in response.body {
                relayed += Array(buffer: chunk)
                let events = String(decoding: relayed, as: UTF8.self).components(separatedBy: "\n\n").count - 1
                if events >= 9, upstreamWhenNineArrived == nil {
                    upstreamWhenNineArrived = try fake.hold("relay")
                    try await fake.release("relay")
                }
            }
            #expect(upstreamWhenNineArrived == "holding", "nine events reached the client when the upstream was \(upstreamWhenNineArrived ?? "not yet holding")")
            #expect(try fake.hold("relay") == "released")
            #expect(relayed == direct.body)

            let stats = try await HTTP.send(.GET, port: port, path: "/api/stats?range=today")
            let totals = stats.json["totals"] as? [String: Any]
            #expect(totals?["output_tokens"] as? Int == 33)
            #expect(totals?["input_tokens"] as? Int == 101)
        }
    }

    @Test func analyticsAndStatsEqualTheUpstreamsUsage() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            let outputs = [5, 17, 40, 8]
            for (i, maxTokens) in outputs.enumerated() {
                #expect(try await HTTP.message(port: port, maxTokens: maxTokens, text: "q\(i)").status == 200)
            }
            #expect(try await HTTP.message(port: port, maxTokens: 5, text: "q0").cache == "hit")
            #expect(try await HTTP.message(port: port, maxTokens: 12, stream: true, model: "claude-haiku-4-5").status == 200)
            #expect(try await HTTP.message(port: port, model: "fail-529").status == 529)

            let stats = try await HTTP.send(.GET, port: port, path: "/api/stats?range=all&group_by=model")
            #expect(stats.status == 200)
            let totals = try #require(stats.json["totals"] as? [String: Any])
            #expect(totals["requests"] as? Int == 7)
            #expect(totals["cache_hits"] as? Int == 1)
            #expect(totals["errors"] as? Int == 1)
            // Billed: four sonnet calls and one haiku stream; the hit's tokens are saved, not billed.
            #expect(totals["input_tokens"] as? Int == 5 * 101)
            #expect(totals["output_tokens"] as? Int == outputs.reduce(0, +) + 12)
            #expect(totals["cache_read_tokens"] as? Int == 5 * 5)
            #expect(totals["cache_write_tokens"] as? Int == 5 * 3)
            let sonnet = ModelPrice(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75)
            let sonnetCall = { (output: Int) -> Double in sonnet.cost(of: TokenUsage(input: 101, output: output, cacheRead: 5, cacheWrite: 3)) }
            let haikuCall: Double = ModelPrice(input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25)
                .cost(of: TokenUsage(input: 101, output: 12, cacheRead: 5, cacheWrite: 3))
            let expectedCost = outputs.map(sonnetCall).reduce(0, +) + haikuCall
            #expect(abs((totals["cost_usd"] as? Double ?? 0) - expectedCost) < 1e-9)
            #expect(abs((totals["saved_usd"] as? Double ?? 0) - sonnetCall(5)) < 1e-9)
            let groups = try #require(stats.json["groups"] as? [[String: Any]])
            #expect(groups.compactMap { $0["key"] as? String } == ["claude-haiku-4-5", "claude-sonnet-4-5-20250929", "fail-529"])

            // `cco stats --json` prints the same report, from the daemon and, once stopped, from the file.
            let live = try cco.run("stats", "--range", "all", "--json")
            #expect(live.status == 0)
            #expect(try cco.run("daemon", "stop").status == 0)
            let offline = try cco.run("stats", "--range", "all", "--json")
            #expect(offline.status == 0)
            let liveTotals = (try JSONSerialization.jsonObject(with: Data(live.stdout.utf8)) as? [String: Any])?["totals"] as? [String: Any]
            let offlineTotals = (try JSONSerialization.jsonObject(with: Data(offline.stdout.utf8)) as? [String: Any])?["totals"] as? [String: Any]
            for field in ["requests", "input_tokens", "output_tokens", "cache_hits", "errors"] {
                #expect(liveTotals?[field] as? Int == totals[field] as? Int, "\(field)")
                #expect(offlineTotals?[field] as? Int == totals[field] as? Int, "\(field)")
            }
            let text = try cco.run("stats", "--range", "all")
            #expect(text.stdout.contains("7 requests, 1 cache hit, 1 error"))
            #expect(text.stdout.contains("claude-haiku-4-5"))
        }
    }

    /// `cco pricing update` refuses bad data without touching anything, stores good data, and the
    /// running daemon charges the next call with it.
    @Test func pricingUpdateIsCheckedStoredAndAppliedByTheRunningDaemon() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            let unknown = try cco.run("pricing", "show", "claude-opus-4")
            #expect(unknown.status == 1)
            #expect(unknown.stderr.hasPrefix("error: claude-opus-4 has no price in LiteLLM "), "\(unknown.stderr)")
            #expect(unknown.stderr.split(separator: "\n").count == 1)

            let bad = cco.stateDirectory + "/bad.json"
            try #"{"claude-sonnet-4-5-20250929": {"litellm_provider": "anthropic", "input_cost_per_token": -1, "output_cost_per_token": 0}}"#
                .write(toFile: bad, atomically: true, encoding: .utf8)
            let refused = try cco.run("pricing", "update", bad)
            #expect(refused.status == 1)
            #expect(refused.stderr == "error: \(bad): claude-sonnet-4-5-20250929: `input_cost_per_token` must be a number from 0 up (USD per token), found -1.0; nothing was changed\n")
            #expect(!FileManager.default.fileExists(atPath: cco.stateDirectory + "/prices.json"))

            let good = cco.stateDirectory + "/good.json"
            try #"""
                {"claude-sonnet-4-5-20250929": {"litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": 0.001,
                  "output_cost_per_token": 0, "cache_read_input_token_cost": 0, "cache_creation_input_token_cost": 0},
                 "gpt-x": {"litellm_provider": "openai", "input_cost_per_token": 1, "output_cost_per_token": 1}}
                """#.write(toFile: good, atomically: true, encoding: .utf8)
            let update = try cco.run("pricing", "update", good)
            #expect(update.status == 0, "\(update.stderr)")
            #expect(update.stdout.contains("stored 1 Anthropic models from \(good) in \(cco.stateDirectory)/prices.json"), "\(update.stdout)")
            #expect(update.stdout.contains("reloaded"), "\(update.stdout)")
            let attributes = try FileManager.default.attributesOfItem(atPath: cco.stateDirectory + "/prices.json")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)

            #expect(try await HTTP.message(port: port).status == 200)
            let stats = try await HTTP.send(.GET, port: port, path: "/api/stats?range=all")
            let totals = try #require(stats.json["totals"] as? [String: Any])
            #expect(abs((totals["cost_usd"] as? Double ?? 0) - 101 * 0.001) < 1e-9, "input 101 tokens at $0.001 each")
            let show = try cco.run("pricing", "show", "claude-sonnet-4-5-20250929")
            #expect(show.stdout.hasPrefix("claude-sonnet-4-5-20250929: \(good), fetched "), "\(show.stdout)")
        }
    }

    /// What a web page could make a browser send never reaches the upstream: a DNS-rebinding
    /// Host, a cross-site `text/plain` POST (no CORS preflight needed); cco itself still works.
    @Test func aRebindingHostOrACrossSitePostNeverReachesTheUpstream() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            let rebound = try await HTTP.send(.GET, port: port, path: "/api/stats", headers: [("host", "attacker.example.com:\(port)")])
            #expect(rebound.status == 421)
            #expect((rebound.json["error"] as? [String: Any])?["type"] as? String == "permission_error")
            let body = #"{"model":"claude-haiku-4-5","max_tokens":5,"messages":[{"role":"user","content":"x"}]}"#
            let crossSite = try await HTTP.send(.POST, port: port, path: "/v1/messages", body: body, headers: [
                ("x-api-key", "sk-test-key"), ("content-type", "text/plain"), ("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")])
            #expect(crossSite.status == 403)
            #expect(crossSite.headers.keys.allSatisfy { !$0.hasPrefix("access-control-") }, "cco never sends CORS headers")
            #expect(try fake.counts().messages == 0, "the upstream never saw either")
            let metrics = try await HTTP.send(.GET, port: port, path: "/metrics").text
            #expect(metricValue(metrics, #"cco_requests_refused_total{reason="host"}"#) == 1)
            #expect(metricValue(metrics, #"cco_requests_refused_total{reason="origin"}"#) == 1)
            #expect(try cco.run("daemon", "status").status == 0)
            #expect(try cco.run("stats").status == 0)
            #expect(try await HTTP.message(port: port).status == 200)
            let log = try String(contentsOfFile: cco.paths.logFile, encoding: .utf8)
            #expect(log.contains("refused a request for Host \"attacker.example.com:\(port)\""))
        }
    }

    /// Another local user's program is turned away before its request is read, with one log line
    /// naming the uid, over IPv4 and IPv6 loopback; `allow_users` lets that user in.
    @Test(.enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "running a client as another user needs root and setpriv"))
    func anotherUsersConnectionIsRefusedUnlessAllowed() async throws {
        var line = FaultLine("security", "a connection of another local user over 127.0.0.1 and ::1 → 403 before its request is read; allow_users lets it in")
        let fake = try FakeUpstream()
        for host in ["127.0.0.1", "::1"] {
            try await withGateway(fake, "host = \"\(host)\"\n") { cco, port in
                let refused = try asNobody(host, port)
                line.trial(refused.hasPrefix("HTTP/1.1 403 Forbidden"), "\(host): \(refused.prefix(40))")
                let owner = try await HTTP.send(.GET, port: port, path: "/health", host: host)
                line.trial(owner.status == 200, "\(host): the owner's own call → \(owner.status)")
                let log = try String(contentsOfFile: cco.paths.logFile, encoding: .utf8)
                line.trial(log.contains("it belongs to uid 65534 (nobody), not to this daemon's user (uid 0)"), "\(host): \(log.suffix(300))")
            }
            try await withGateway(fake, "host = \"\(host)\"\nallow_users = [\"nobody\"]\n") { _, port in
                let allowed = try asNobody(host, port)
                line.trial(allowed.hasPrefix("HTTP/1.1 200"), "\(host), allowed by name: \(allowed.prefix(40))")
            }
        }
        line.trial(try fake.counts().messages == 2, "only the allowed calls reached the upstream")
        line.finish()
    }

    @Test func aSIGKILLLosesNoRowAnsweredMoreThanOneSecondBefore() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            for i in 0 ..< 60 {
                #expect(try await HTTP.message(port: port, text: "k\(i)").status == 200)
            }
            try await Task.sleep(for: .seconds(1))
            let pid = try #require(FileLock.holder(of: cco.paths.lockFile))
            kill(pid, SIGKILL)
            #expect(eventually { FileLock.holder(of: cco.paths.lockFile) == nil })

            let database = try Connection(path: cco.paths.stateDirectory + "/analytics.db")
            #expect(try database.scalar("PRAGMA integrity_check") == .text("ok"))
            #expect(try database.scalar("SELECT COUNT(*) FROM requests") == .integer(60))
        }
    }

    @Test func metricsAreValidPrometheusText() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            _ = try await HTTP.message(port: port)
            _ = try await HTTP.message(port: port)
            #expect(try await HTTP.send(.GET, port: port, path: "/no-such-page").status == 404)
            let reply = try await HTTP.send(.GET, port: port, path: "/metrics")
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
            let problems = prometheusProblems(reply.text)
            #expect(problems.isEmpty, "\(problems)")
            #expect(metricValue(reply.text, "cco_cache_hits_total") == 1)
            #expect(metricValue(reply.text, "cco_cache_misses_total") == 1)
            #expect(metricValue(reply.text, #"cco_http_requests_total{route="/v1/messages",method="POST",status="200"}"#) == 2)
            #expect(metricValue(reply.text, #"cco_http_requests_total{route="NotFound",method="GET",status="404"}"#) == 1)
            #expect(metricValue(reply.text, #"cco_tokens_total{model="claude-sonnet-4-5-20250929",kind="output",source="upstream"}"#) == 16)
            #expect(reply.text.contains("cco_http_request_duration_seconds_bucket{route=\"/v1/messages\",le="))
            #expect(metricValue(reply.text, "cco_analytics_queue_depth") != nil)
            #expect(reply.text.contains("cco_cost_usd_total{model=\"claude-sonnet-4-5-20250929\"}"))
        }
    }

    @Test func upstreamErrorsAreRelayedAndAnUnreachableUpstreamIsA502() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            let overloaded = try await HTTP.message(port: port, model: "fail-529")
            #expect(overloaded.status == 529)
            #expect((overloaded.json["error"] as? [String: Any])?["type"] as? String == "overloaded_error")
            let unauthorized = try await HTTP.message(port: port, headers: [])
            #expect(unauthorized.status == 401)
            #expect(try await HTTP.send(.GET, port: port, path: "/v1/models").json["data"] != nil)
        }
        let closedPort = try Listener().port  // bound, then closed when the listener is released
        try await withGateway(upstream: "http://127.0.0.1:\(closedPort)") { cco, port in
            let reply = try await HTTP.message(port: port)
            #expect(reply.status == 502)
            #expect(reply.json["type"] as? String == "error")
            let error = reply.json["error"] as? [String: Any]
            #expect(error?["type"] as? String == "api_error")
            #expect((error?["message"] as? String)?.contains("cannot reach the upstream http://127.0.0.1:\(closedPort): connection refused") == true)
        }
    }

    @Test func aSilentUpstreamTimesOutWithA504() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake, "upstream_timeout = 1") { cco, port in
            let reply = try await HTTP.message(port: port, headers: [("x-api-key", "k"), ("x-fake-delay-ms", "3000")])
            #expect(reply.status == 504)
            #expect(((reply.json["error"] as? [String: Any])?["message"] as? String)?.contains("upstream_timeout") == true)
        }
    }

    @Test func malformedAndOversizedBodiesAreRefusedBeforeTheUpstream() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake, "max_request_size = 200") { cco, port in
            let malformed = try await HTTP.send(.POST, port: port, path: "/v1/messages", body: #"{"model": "m", "messages": ["#)
            #expect(malformed.status == 400)
            #expect((malformed.json["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")
            #expect(((malformed.json["error"] as? [String: Any])?["message"] as? String)?.contains("not valid JSON") == true)
            let large = try await HTTP.message(port: port, text: String(repeating: "x", count: 500),
                                               headers: [("x-api-key", "sk-test-key"), ("x-claude-code-session-id", "sess-large")])
            #expect(large.status == 413)
            #expect((large.json["error"] as? [String: Any])?["type"] as? String == "request_too_large")
            #expect(try fake.counts().messages == 0)
            // The refused call is recorded with its session, as any other call.
            let isRefused = { (call: [String: Any]) in call["status"] as? Int == 413 }
            let refused = try await recentCalls(port: port) { $0.contains(where: isRefused) }.first(where: isRefused)
            #expect(refused?["session"] as? String == "sess-large")
        }
    }

    @Test func credentialsAreNeverLoggedStoredOrEchoed() async throws {
        let fake = try FakeUpstream()
        let secret = "sk-ant-never-write-me-\(UInt32.random(in: 0 ... .max))"
        try await withGateway(fake, "log_level = \"trace\"\ncache_persist = true") { cco, port in
            _ = try await HTTP.message(port: port, headers: [("x-api-key", secret)])
            _ = try await HTTP.message(port: port, headers: [("authorization", "Bearer \(secret)")])
            let reply = try await HTTP.message(port: port, headers: [("x-api-key", secret)])
            #expect(!reply.text.contains(secret) && !reply.headers.values.contains { $0.contains(secret) })
            #expect(try cco.run("daemon", "stop").status == 0)
            for file in try FileManager.default.subpathsOfDirectory(atPath: cco.stateDirectory) {
                let path = cco.stateDirectory + "/" + file
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                #expect(data.range(of: Data(secret.utf8)) == nil, "\(file) holds the credential")
            }
        }
    }

    @Test func cachePersistKeepsAnswersAcrossARestart() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake, "cache_persist = true") { cco, port in
            #expect(try await HTTP.message(port: port).cache == "miss")
            // --port 0 keeps the listener it was handed; without it the config's port (3000) would
            // be bound anew, and a test must not need port 3000 free.
            let restart = try cco.run("daemon", "restart", "--port", "0")
            #expect(restart.status == 0, "\(restart.stderr)")
            let newPort = try #require(try PIDFile(path: cco.paths.pidFile).read()?.port)
            #expect(try await HTTP.message(port: newPort).cache == "hit")
            #expect(try fake.counts().messages == 1)
        }
    }

    @Test func cachePurgeAndReloadNeedTheAdminToken() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            let token = try String(contentsOfFile: cco.paths.adminTokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.count == 64 && token.allSatisfy(\.isHexDigit))
            #expect(fileMode(cco.paths.adminTokenFile) == 0o600)
            _ = try await HTTP.message(port: port)
            #expect(try await HTTP.message(port: port).cache == "hit")

            for headers in [[(String, String)](), [("authorization", "Bearer " + String(repeating: "0", count: 64))], [("x-api-key", token)]] {
                let refused = try await HTTP.send(.POST, port: port, path: "/api/cache/purge", headers: headers)
                #expect(refused.status == 401)
                #expect((refused.json["error"] as? [String: Any])?["type"] as? String == "authentication_error")
            }
            #expect(try await HTTP.message(port: port).cache == "hit")

            let purged = try await HTTP.send(.POST, port: port, path: "/api/cache/purge", headers: [("authorization", "Bearer \(token)")])
            #expect(purged.status == 200)
            #expect(purged.json["purged_entries"] as? Int == 1)
            #expect(try await HTTP.message(port: port).cache == "miss")

            let reloaded = try await HTTP.send(.POST, port: port, path: "/api/reload", headers: [("authorization", "Bearer \(token)")])
            #expect(reloaded.json["reloaded"] as? Bool == true)
            try "log_level = \"loud\"\n".write(toFile: cco.paths.configFile, atomically: true, encoding: .utf8)
            let refused = try await HTTP.send(.POST, port: port, path: "/api/reload", headers: [("authorization", "Bearer \(token)")])
            #expect(refused.json["reloaded"] as? Bool == false)
            #expect((refused.json["status"] as? String)?.contains("`log_level` must be one of") == true)
            #expect(try await HTTP.send(.POST, port: port, path: "/api/reload").status == 401)
        }
    }

    @Test func sixtyFourHeldStreamsAreRelayedAtOnceAndEachArrivesWhole() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            let whole = try await HTTP.send(.POST, port: fake.port, path: "/v1/messages", body: HTTP.streamBody).text
            let ids = (0 ..< 64).map { "many\($0)" }
            try await withHTTPClient(connections: 128) { client in
                let streams = try ids.map { try HTTP.startHeldStream(client, port: port, id: $0) }
                // All 64 reach the upstream while none has finished: none waits for another.
                #expect(await waitUntil(timeout: .seconds(20)) { fake.holdingCount() == 64 }, "holding at once: \(fake.holdingCount()) of 64")
                let metrics = try await HTTP.send(.GET, port: port, path: "/metrics")
                #expect(metricValue(metrics.text, "cco_upstream_in_flight") == 64)
                for id in ids { try await fake.release(id) }
                var finished = 0
                for stream in streams {
                    let reply = try await stream.reply()
                    #expect(reply.status == 200)
                    #expect(reply.text == whole)
                    finished += 1
                }
                #expect(finished == 64)
            }
            #expect(try fake.holds().values.allSatisfy { $0 == "released" })
            let after = try await HTTP.send(.GET, port: port, path: "/metrics")
            #expect(metricValue(after.text, "cco_upstream_in_flight") == 0)
            #expect(metricValue(after.text, #"cco_upstream_refused_total{reason="max_connections"}"#) == 0)
            #expect(metricValue(after.text, #"cco_upstream_failures_total{reason="unreachable"}"#) == nil)
        }
    }

    /// The clients' connections and the upstream's are served by one event loop thread, whatever
    /// the number of cores: a stream's events go from one socket to the other without crossing
    /// threads (docs/benchmarks.md, "One event loop").
    @Test func clientsAndUpstreamConnectionsAreServedByOneEventLoopThread() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            let pid = try #require(FileLock.holder(of: cco.paths.lockFile))
            let ids = (0 ..< 16).map { "loop\($0)" }
            try await withHTTPClient(connections: 16) { client in
                let streams = try ids.map { try HTTP.startHeldStream(client, port: port, id: $0) }
                #expect(await waitUntil(timeout: .seconds(20)) { fake.holdingCount() == 16 }, "holding at once: \(fake.holdingCount()) of 16")
                let loops = try threadNames(of: pid).filter { $0.hasPrefix("NIO-ELT-") || $0.hasPrefix("NIO-SGLTN-") }
                #expect(loops.count == 1, "event loop threads: \(loops)")
                for id in ids { try await fake.release(id) }
                for stream in streams { #expect(try await stream.reply().status == 200) }
            }
        }
    }

    @Test func upstreamConnectionsAreReusedAcrossCallsOneAtATimeAndAtOnce() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake, "cache_mode = \"off\"") { _, port in
            // One at a time, answers and streams alike: each call finds the last one's connection.
            for i in 0 ..< 10 {
                #expect(try await HTTP.message(port: port, text: "one\(i)").status == 200)
                #expect(try await HTTP.message(port: port, text: "one\(i)", stream: true).status == 200)
            }
            let sequential = try fake.counts().connections
            #expect(sequential == 1, "20 calls one after another took \(sequential) upstream connections")
            // Eight clients at once, ten calls each: never more connections than calls at a time.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0 ..< 8 {
                    group.addTask {
                        for i in 0 ..< 10 {
                            let reply = try await HTTP.message(port: port, text: "c\(client)-\(i)", stream: i % 2 == 0)
                            #expect(reply.status == 200)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let counts = try fake.counts()
            #expect(counts.messages == 100)
            #expect(counts.connections <= 8, "80 calls by 8 clients at once took \(counts.connections) upstream connections")
        }
    }

    @Test func aClientLeavingMidStreamEndsItsUpstreamCallAndTheCallIsRecordedIncomplete() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { cco, port in
            // 150 events 200 ms apart: the upstream would stream for 30 s.
            let left: ContinuousClock.Instant
            do {
                try await withHTTPClient(connections: 1) { client in
                    let request = HTTP.streamRequest(port: port, [("x-fake-delay-ms", "200"), ("x-fake-events", "150")])
                    let response = try await client.execute(request, timeout: .seconds(60))
                    var text = ""
                    for try await chunk in response.body {
                        text += String(buffer: chunk)
                        if text.components(separatedBy: "content_block_delta").count > 3 { break }
                    }
                }
                // The client is shut down: its connection is closed.
                left = ContinuousClock().now
            }
            var inFlight: Double?
            repeat {
                try await Task.sleep(for: .milliseconds(50))
                inFlight = metricValue(try await HTTP.send(.GET, port: port, path: "/metrics").text, "cco_upstream_in_flight")
            } while inFlight != 0 && ContinuousClock().now - left < .seconds(20)
            #expect(inFlight == 0)
            #expect(ContinuousClock().now - left < .seconds(15), "the upstream call outlived its client by \(ContinuousClock().now - left)")
            let calls = try await recentCalls(port: port)
            #expect(calls.count == 1)
            #expect(calls.first?["incomplete"] as? Bool == true)
            #expect(calls.first?["streamed"] as? Bool == true)
            #expect(try cco.run("daemon", "logs", "-n", "20").stdout.contains("ended early: the client went away"))
        }
    }

    @Test func aClientThatStopsReadingHoldsTheUpstreamBackInsteadOfFillingTheDaemonsMemory() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { _, port in
            try await withHTTPClient(connections: 1) { client in
                // 100000 events of 10 KB, each sent as soon as the last is taken: about 1 GB.
                let request = HTTP.streamRequest(port: port, [("x-fake-events", "100000"), ("x-fake-pad", "10000")])
                let response = try await client.execute(request, timeout: .seconds(60))
                var chunks = response.body.makeAsyncIterator()
                #expect(try await chunks.next() != nil)
                // The client takes nothing more. Once the socket buffers between it and the
                // upstream are full (about 9 MB, in steps as the windows close), the gateway must
                // stop reading the upstream, not take the stream in itself. Without the check of
                // the client's writability it reads on at 12-14 MB/s here.
                try await Task.sleep(for: .seconds(4))
                let held = try fake.counts().streamBytes
                try await Task.sleep(for: .seconds(1))
                let later = try fake.counts().streamBytes
                #expect(held < 64 << 20, "the upstream wrote \(held >> 20) MB of a stream whose client had stopped reading")
                #expect(later - held < 8 << 20, "the upstream went on writing to a client that reads nothing: \(held >> 20) → \(later >> 20) MB")
                // Reading again, the client gets the stream on from where it stopped.
                var more = 0
                while more < 4 << 20, let chunk = try await chunks.next() { more += chunk.readableBytes }
                #expect(more >= 4 << 20)
            }
        }
    }

    @Test func aStreamSilentForUpstreamTimeoutIsCutAndRecordedIncomplete() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake, "upstream_timeout = 1") { cco, port in
            let clock = ContinuousClock()
            let started = clock.now
            var text = ""
            var cut = false
            do {
                // The fake holds the stream before message_stop for up to 20 s.
                let stream = try HTTP.startHeldStream(HTTPClient.shared, port: port, id: "silent")
                text = try await stream.reply().text
            } catch {
                cut = true
            }
            #expect(clock.now - started < .seconds(12), "cut after \(clock.now - started), not after upstream_timeout")
            #expect(cut || !text.contains("message_stop"), "the stream ended whole: \(text)")
            #expect(try fake.hold("silent") == "holding")
            try await fake.release("silent")
            let calls = try await recentCalls(port: port)
            #expect(calls.first?["incomplete"] as? Bool == true)
            #expect(try cco.run("daemon", "logs", "-n", "20").stdout.contains("ended early: the upstream sent nothing for upstream_timeout"))
        }
    }

    @Test func aCallPastUpstreamMaxConnectionsIsRefusedAtOnceAsOverloadedNotUnreachable() async throws {
        let fake = try FakeUpstream()
        // A pool wait would last the connect timeout, 60 s; a refusal comes well before half of it
        // even on a machine busy with the rest of the suite.
        try await withGateway(fake, "upstream_max_connections = 2\nupstream_connect_timeout = 60") { cco, port in
            try await withHTTPClient(connections: 16) { client in
                do {
                    let streams = try ["full0", "full1"].map { try HTTP.startHeldStream(client, port: port, id: $0) }
                    #expect(await waitUntil(timeout: .seconds(20)) { (try? fake.holds().count) == 2 })
                    let clock = ContinuousClock()
                    let started = clock.now
                    let refused = try await HTTP.message(port: port, text: "third")
                    #expect(clock.now - started < .seconds(30), "refused after \(clock.now - started), not at once")
                    #expect(refused.status == 503)
                    let error = refused.json["error"] as? [String: Any]
                    #expect(error?["type"] as? String == "overloaded_error")
                    #expect((error?["message"] as? String)?.contains("2 upstream calls are already in flight (upstream_max_connections)") == true)
                    #expect(try fake.counts().messages == 2)
                    let metrics = try await HTTP.send(.GET, port: port, path: "/metrics")
                    #expect(metricValue(metrics.text, #"cco_upstream_refused_total{reason="max_connections"}"#) == 1)
                    #expect(metricValue(metrics.text, "cco_upstream_max_connections") == 2)

                    for id in ["full0", "full1"] { try await fake.release(id) }
                    for stream in streams { #expect(try await stream.reply().status == 200) }
                }
            }
            // The slots came back with the streams' ends.
            #expect(try await HTTP.message(port: port, text: "fourth").status == 200)
            #expect(try cco.run("daemon", "logs", "-n", "20").stdout.contains("upstream_max_connections (2) calls are in flight"))
        }
    }

    /// An upstream (or a router between) may close a kept-alive connection just as a call goes out
    /// on it, without reading it: the call is sent again, once, on a new connection, streamed or
    /// not, and the client sees only its answer. A connection that closes without answering on its
    /// first call, or twice in a row, is an upstream that does not answer: a 502 after one attempt
    /// on a new connection, and two on an idle one.
    @Test func aCallOnAKeptAliveConnectionTheUpstreamClosedIsSentAgainOnANewOne() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake, "cache_mode = \"off\"") { cco, port in
            let dropReused = [("x-api-key", "sk-test-key"), ("x-fake-drop", "reused")]
            #expect(try await HTTP.message(port: port, text: "first").status == 200)
            let again = try await HTTP.message(port: port, text: "second", headers: dropReused)
            #expect(again.status == 200)
            #expect(again.json["type"] as? String == "message")
            let streamed = try await HTTP.message(port: port, text: "third", stream: true, headers: dropReused)
            #expect(streamed.status == 200)
            #expect(streamed.text.contains("event: message_stop"))
            var counts = try fake.counts()
            #expect((counts.messages, counts.dropped, counts.connections) == (3, 2, 3))

            let metrics = try await HTTP.send(.GET, port: port, path: "/metrics")
            #expect(metricValue(metrics.text, "cco_upstream_sent_again_total") == 2)
            #expect(metricValue(metrics.text, #"cco_upstream_failures_total{reason="unreachable"}"#) == nil)
            #expect(try cco.run("daemon", "logs", "-n", "20").stdout.contains("closed an idle connection as a call went out on it"))

            // Dropped on an idle connection, then on the new one: sent twice, not more.
            let dropAlways = [("x-api-key", "sk-test-key"), ("x-fake-drop", "always")]
            let twice = try await HTTP.message(port: port, text: "fourth", headers: dropAlways)
            #expect(twice.status == 502)
            counts = try fake.counts()
            #expect((counts.messages, counts.dropped) == (3, 4))
            // The failure closed the connection: this call goes out on a new one, and is not sent again.
            let once = try await HTTP.message(port: port, text: "fifth", headers: dropAlways)
            #expect(once.status == 502)
            #expect(((once.json["error"] as? [String: Any])?["message"] as? String)?.contains("closed before an answer") == true)
            counts = try fake.counts()
            #expect((counts.messages, counts.dropped) == (3, 5))
            // Each call is one row, whatever it took upstream: 3 answered, 2 failed.
            let totals = try await HTTP.send(.GET, port: port, path: "/api/stats?range=all").json["totals"] as? [String: Any]
            #expect(totals?["requests"] as? Int == 5)
            #expect(totals?["errors"] as? Int == 2)
        }
    }

    /// The upstream request's framing is cco's alone (NIO's encoder sets none on that
    /// connection): a client's chunked body reaches the upstream whole, with its length and no
    /// `Transfer-Encoding`, and a call's answer still comes back framed to the client.
    @Test func aChunkedRequestBodyReachesTheUpstreamWithItsLengthAndNoTransferEncoding() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake, "cache_mode = \"off\"") { cco, port in
            let body = #"{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"chunked"}]}"#
            let half = body.utf8.count / 2
            let (first, second) = (String(body.prefix(half)), String(body.dropFirst(half)))
            let chunks = String(first.utf8.count, radix: 16) + "\r\n" + first + "\r\n"
                + String(second.utf8.count, radix: 16) + "\r\n" + second + "\r\n0\r\n\r\n"
            let reply = try BudgetTests.exchange("POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nx-api-key: sk-test-key\r\n"
                + "anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + chunks, port: port)
            #expect(reply.hasPrefix("HTTP/1.1 200 OK"))
            #expect(reply.lowercased().contains("content-length: "), "a whole answer is framed by its length")
            let seen = try fake.counts().lastHeaders
            #expect(seen["content-length"] == String(body.utf8.count))
            #expect(seen["transfer-encoding"] == nil)
            #expect(try fake.counts().messages == 1)
        }
    }

    /// A `HEAD` of one of the daemon's own pages is answered with the head its `GET` has, and no
    /// body; the event stream's is answered too, not held open; the connection serves the next
    /// request; the request is counted as a `HEAD`.
    @Test func aHEADIsAnsweredWithTheHeadOfItsGETAndNoBodyAndTheConnectionGoesOn() async throws {
        let fake = try FakeUpstream()
        try await withGateway(fake) { _, port in
            let script = try await HTTP.send(.GET, port: port, path: "/dashboard.js")
            #expect(script.status == 200)
            let host = "Host: 127.0.0.1:\(port)\r\n"
            let reply = try BudgetTests.exchange("HEAD /health HTTP/1.1\r\n\(host)\r\n" + "HEAD /dashboard.js HTTP/1.1\r\n\(host)\r\n"
                + "HEAD /api/events HTTP/1.1\r\n\(host)\r\n" + "HEAD /no-such-page HTTP/1.1\r\n\(host)\r\n"
                + "GET /ready HTTP/1.1\r\n\(host)Connection: close\r\n\r\n", port: port)
            // Each answer to a HEAD is a head alone, so the next starts where its empty line ends.
            var answers = reply.components(separatedBy: "\r\n\r\n")
            let last = answers.count >= 2 ? answers.removeLast() : ""
            #expect(answers.count == 5, "\(reply)")
            guard answers.count == 5 else { return }
            func field(_ name: String, _ head: String) -> String? {
                head.split(separator: "\r\n").first { $0.lowercased().hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
            }
            #expect(answers[0].hasPrefix("HTTP/1.1 200 OK") && field("content-type", answers[0])?.hasPrefix("application/json") == true)
            #expect(Int(field("content-length", answers[0]) ?? "") ?? 0 > 0, "the length its GET would have")
            #expect(answers[1].hasPrefix("HTTP/1.1 200 OK"))
            #expect(field("content-length", answers[1]) == String(script.text.utf8.count))
            #expect(answers[2].hasPrefix("HTTP/1.1 200 OK") && field("content-type", answers[2])?.hasPrefix("text/event-stream") == true)
            #expect(field("transfer-encoding", answers[2]) == nil, "no body follows, chunked or not")
            #expect(answers[3].hasPrefix("HTTP/1.1 404"))
            #expect(answers[4].hasPrefix("HTTP/1.1 200 OK") && last.contains("\"status\":\"ready\""), "\(answers[4])\n\(last)")
            let metrics = try await HTTP.send(.GET, port: port, path: "/metrics").text
            #expect(metricValue(metrics, #"cco_http_requests_total{route="/health",method="HEAD",status="200"}"#) == 1)
            #expect(metricValue(metrics, #"cco_http_requests_total{route="/api/events",method="HEAD",status="200"}"#) == 1)
        }
    }

    // MARK: - Helpers


    func withGateway(_ fake: FakeUpstream, _ extra: String = "", _ body: (CCOProcess, Int) async throws -> Void) async throws {
        try await withGateway(upstream: fake.url, extra, body)
    }

    func withGateway(upstream: String, _ extra: String = "", _ body: (CCOProcess, Int) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cco-gw-\(UUID().uuidString.prefix(8))").path
        let cco = CCOProcess(stateDirectory: dir)
        defer {
            if let pid = FileLock.holder(of: cco.paths.lockFile) { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: dir)
        }
        try cco.configure(upstream: upstream, extra)
        let (_, port) = try cco.startOnFreePort()
        try await body(cco, port)
    }
}

/// The daemon's latest calls (`/api/calls`), asked again until `until` holds or 20 s have passed:
/// a call's row reaches the database a moment after its answer.
func recentCalls(port: Int, until: ([[String: Any]]) -> Bool = { !$0.isEmpty }) async throws -> [[String: Any]] {
    let deadline = ContinuousClock().now + .seconds(20)
    while true {
        let calls = try await HTTP.send(.GET, port: port, path: "/api/calls?range=today&limit=5").json["calls"] as? [[String: Any]] ?? []
        if until(calls) || ContinuousClock().now >= deadline { return calls }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// The names of `pid`'s threads, from `/proc/PID/task/*/comm`.
func threadNames(of pid: Int32) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").compactMap {
        try? String(contentsOfFile: "/proc/\(pid)/task/\($0)/comm", encoding: .utf8).trimmingCharacters(in: .newlines)
    }
}

/// The value of the sample line that starts with `series` followed by a space.
func metricValue(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

/// Lines that do not follow the Prometheus text format 0.0.4: comments are `# TYPE|HELP name …`,
/// samples are `name{label="value",…} number`, and every sample's family has a TYPE line first.
func prometheusProblems(_ text: String) -> [String] {
    var problems: [String] = []
    var typed: Set<String> = []
    let name = #"[a-zA-Z_:][a-zA-Z0-9_:]*"#
    let sample = try! Regex(#"^(\#(name))(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$"#)
    let type = try! Regex(#"^# TYPE (\#(name)) (counter|gauge|histogram|summary|untyped)$"#)
    for line in text.split(separator: "\n") {
        if line.hasPrefix("# HELP ") { continue }
        if let match = line.wholeMatch(of: type), let family = match.output[1].substring {
            typed.insert(String(family))
            continue
        }
        guard let match = line.wholeMatch(of: sample), let series = match.output[1].substring else {
            problems.append(String(line))
            continue
        }
        let family = ["_bucket", "_sum", "_count"].reduce(String(series)) { name, suffix in
            name.hasSuffix(suffix) && typed.contains(String(name.dropLast(suffix.count))) ? String(name.dropLast(suffix.count)) : name
        }
        if !typed.contains(family) { problems.append("no TYPE before: \(line)") }
    }
    return problems
}

/// A Messages call from a program of the user `nobody` (needs root and setpriv), through bash's
/// /dev/tcp; the first 200 bytes of the answer.
func asNobody(_ host: String, _ port: Int) throws -> String {
    let request = #"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nx-api-key: sk-theirs\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"#
    return try CCOProcess.runToCompletion("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/bin/bash", "-c",
        "exec 3<>/dev/tcp/\(host)/\(port); printf '\(request)' >&3; head -c 200 <&3 2>/dev/null || true"]).stdout
}
