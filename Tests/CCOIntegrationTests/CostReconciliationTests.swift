import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import CCOCore
import NIOCore
import NIOHTTP1
import Testing

/// A recorded Claude Code-shaped working session through the daemon against FakeUpstream: streams
/// with 5-minute and 1-hour cache writes, web searches, a subagent, a stream cut short, a call past
/// the long-context threshold, two projects (one named by `x-cco-project`, one found from its
/// transcript, which appears only after the session's first call). Every total and every grouping
/// must equal sums computed here, independently, from the usage the fake reported and the prices
/// the test installed.
@Suite struct CostReconciliationTests {
    /// USD per token, as LiteLLM writes them; the test's own arithmetic reads these numbers only.
    struct Price {
        var input, output, read, write5m, write1h, search: Double
        var tier: (threshold: Int, input: Double, output: Double)?
    }
    static let prices: [String: Price] = [
        "claude-opus-4-7": Price(input: 5e-6, output: 2.5e-5, read: 5e-7, write5m: 6.25e-6, write1h: 1e-5, search: 0.01),
        "claude-haiku-4-5": Price(input: 1e-6, output: 5e-6, read: 1e-7, write5m: 1.25e-6, write1h: 2e-6, search: 0),
        "claude-sonnet-5": Price(input: 2e-6, output: 1e-5, read: 2e-7, write5m: 2.5e-6, write1h: 4e-6, search: 0.01,
                                 tier: (200_000, 4e-6, 1.5e-5)),
    ]

    static let pricesJSON = """
        {"claude-opus-4-7": {"litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": 5e-06, "output_cost_per_token": 2.5e-05,
           "cache_read_input_token_cost": 5e-07, "cache_creation_input_token_cost": 6.25e-06, "cache_creation_input_token_cost_above_1hr": 1e-05,
           "search_context_cost_per_query": {"search_context_size_low": 0.01, "search_context_size_medium": 0.01, "search_context_size_high": 0.01}},
         "claude-haiku-4-5": {"litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": 1e-06, "output_cost_per_token": 5e-06,
           "cache_read_input_token_cost": 1e-07, "cache_creation_input_token_cost": 1.25e-06, "cache_creation_input_token_cost_above_1hr": 2e-06},
         "claude-sonnet-5": {"litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": 2e-06, "output_cost_per_token": 1e-05,
           "cache_read_input_token_cost": 2e-07, "cache_creation_input_token_cost": 2.5e-06, "cache_creation_input_token_cost_above_1hr": 4e-06,
           "input_cost_per_token_above_200k_tokens": 4e-06, "output_cost_per_token_above_200k_tokens": 1.5e-05,
           "search_context_cost_per_query": {"search_context_size_medium": 0.01}}}
        """

    struct Call {
        var session: String
        var agent: String? = nil
        var parentAgent: String? = nil
        var projectHeader: String? = nil
        var model: String
        var stream = true
        var cut = false
        var input = 0, output = 0, read = 0, write5m = 0, write1h = 0, searches = 0

        var usageJSON: String {
            var fields = #""input_tokens":\#(input),"output_tokens":\#(output),"cache_read_input_tokens":\#(read),"cache_creation_input_tokens":\#(write5m + write1h),"cache_creation":{"ephemeral_5m_input_tokens":\#(write5m),"ephemeral_1h_input_tokens":\#(write1h)}"#
            if searches > 0 { fields += #","server_tool_use":{"web_search_requests":\#(searches)}"# }
            return "{" + fields + ",\"service_tier\":\"standard\"}"
        }

        /// Plain arithmetic over the test's own price numbers.
        var cost: Double {
            // A dated name is priced as its undated alias.
            let p = CostReconciliationTests.prices[model] ?? CostReconciliationTests.prices[String(model.dropLast(9))]!
            let prompt = input + read + write5m + write1h
            let long = p.tier.map { prompt > $0.threshold } ?? false
            let inputRate = long ? p.tier!.input : p.input
            let outputRate = long ? p.tier!.output : p.output
            return Double(input) * inputRate + Double(output) * outputRate + Double(read) * p.read
                + Double(write5m) * p.write5m + Double(write1h) * p.write1h + Double(searches) * p.search
        }
    }

    static let sessionA = "3f1c2a9e-0b7d-4c55-9a61-5d2f1e8b7a10"
    static let sessionB = "9b8e7d6c-1a2b-4c3d-8e9f-0a1b2c3d4e5f"

    @Test func everyTotalAndGroupingEqualsTheSumsOfTheUsageAtThePrices() async throws {
        let fake = try FakeUpstream()
        try await withStateDirectory { cco in
            try cco.configure(upstream: fake.url, "cache_mode = \"off\"\n")
            let priceFile = cco.stateDirectory + "/litellm.json"
            try Self.pricesJSON.write(toFile: priceFile, atomically: true, encoding: .utf8)
            #expect(try cco.run("pricing", "update", priceFile).status == 0)
            let (_, port) = try cco.startOnFreePort()

            let a = Self.sessionA, b = Self.sessionB
            let calls = [
                Call(session: a, model: "claude-opus-4-7", input: 4, output: 300, write1h: 20_000),
                Call(session: a, model: "claude-opus-4-7-20260416", input: 6, output: 500, read: 20_000, write5m: 1_500, searches: 2),
                Call(session: a, agent: "agent-explore-1", parentAgent: a, model: "claude-haiku-4-5", input: 1_200, output: 80, write5m: 3_000),
                Call(session: a, model: "claude-opus-4-7", cut: true, input: 5, output: 120, read: 21_500),
                Call(session: b, projectHeader: "beta", model: "claude-sonnet-5", input: 10, output: 200, write1h: 5_000),
                Call(session: b, projectHeader: "beta", model: "claude-sonnet-5", stream: false, input: 210_000, output: 1_000),
                Call(session: b, projectHeader: "beta", model: "claude-sonnet-5", input: 3, output: 50, read: 5_000, searches: 1),
            ]
            // Session A's transcript appears after its first call, as Claude Code may write it.
            let workingDirectory = cco.stateDirectory + "/work/alpha"
            try await send(calls[0], port: port)
            let transcripts = cco.stateDirectory + "/.claude/projects/" + workingDirectory.replacing("/", with: "-").replacing(".", with: "-")
            try FileManager.default.createDirectory(atPath: transcripts + "/\(a)/subagents", withIntermediateDirectories: true)
            try #"{"type":"user","cwd":"\#(workingDirectory)","sessionId":"\#(a)","message":{"role":"user","content":"hi"}}"#
                .appending("\n").write(toFile: transcripts + "/\(a).jsonl", atomically: true, encoding: .utf8)
            try await Task.sleep(for: .seconds(5.2))  // the resolver looks for a missing transcript again after 5 s
            for call in calls.dropFirst() { try await send(call, port: port) }

            func projectOf(_ call: Call) -> String { call.projectHeader ?? workingDirectory }
            func agentOf(_ call: Call) -> String { call.agent ?? "main" }
            let expected: [String: (Call) -> String] = [
                "model": { $0.model }, "session": { $0.session }, "project": projectOf, "agent": agentOf, "client": { _ in "claude-cli/2.0.14" },
            ]
            for (grouping, key) in expected.sorted(by: { $0.key < $1.key }) {
                let stats = try await HTTP.send(.GET, port: port, path: "/api/stats?range=all&group_by=\(grouping)")
                #expect(stats.status == 200)
                let groups = try #require(stats.json["groups"] as? [[String: Any]])
                var want: [String: Double] = [:]
                for call in calls { want[key(call), default: 0] += call.cost }
                let got = Dictionary(uniqueKeysWithValues: groups.map { ($0["key"] as? String ?? "?", $0["cost_usd"] as? Double ?? -1) })
                #expect(Set(got.keys) == Set(want.keys), "\(grouping): \(got.keys.sorted()) vs \(want.keys.sorted())")
                for (name, cost) in want { #expect(abs((got[name] ?? -1) - cost) < 1e-9, "\(grouping) \(name): \(got[name] ?? -1) vs \(cost)") }
            }

            let stats = try await HTTP.send(.GET, port: port, path: "/api/stats?range=all")
            let totals = try #require(stats.json["totals"] as? [String: Any])
            #expect(totals["requests"] as? Int == calls.count, "the cut stream is recorded once")
            #expect(totals["incomplete"] as? Int == 1)
            #expect(totals["input_tokens"] as? Int == calls.map(\.input).reduce(0, +))
            #expect(totals["output_tokens"] as? Int == calls.map(\.output).reduce(0, +))
            #expect(totals["cache_read_tokens"] as? Int == calls.map(\.read).reduce(0, +))
            #expect(totals["cache_write_tokens"] as? Int == calls.map(\.write5m).reduce(0, +))
            #expect(totals["cache_write_1h_tokens"] as? Int == calls.map(\.write1h).reduce(0, +))
            #expect(totals["web_search_requests"] as? Int == 3)
            #expect(totals["unpriced"] as? Int == 0)
            let total = calls.map(\.cost).reduce(0, +)
            #expect(abs((totals["cost_usd"] as? Double ?? 0) - total) < 1e-9, "\(totals["cost_usd"] ?? "-") vs \(total)")
            let limits = try #require(stats.json["rate_limits"] as? [String: String])
            #expect(limits["status"] == "allowed" && limits["5h-reset"] == "1796000000" && limits["5h-utilization"] != nil)

            // One session's figures, and the sessions list.
            let onlyB = try await HTTP.send(.GET, port: port, path: "/api/stats?range=all&session=\(b)")
            let bCost = calls.filter { $0.session == b }.map(\.cost).reduce(0, +)
            #expect(abs(((onlyB.json["totals"] as? [String: Any])?["cost_usd"] as? Double ?? 0) - bCost) < 1e-9)
            let sessions = try cco.run("stats", "sessions", "--range", "all", "--json")
            #expect(sessions.status == 0, "\(sessions.stderr)")
            let listed = try #require((try JSONSerialization.jsonObject(with: Data(sessions.stdout.utf8)) as? [String: Any])?["sessions"] as? [[String: Any]])
            #expect(listed.compactMap { $0["session"] as? String } == [b, a], "the most recent first")
            #expect(listed.first?["project"] as? String == "beta")
            #expect(listed.last?["project"] as? String == workingDirectory, "the first call, before the transcript existed, has it too")
            #expect(listed.last?["calls"] as? Int == 4)
            #expect(listed.last?["models"] as? [String] == ["claude-haiku-4-5", "claude-opus-4-7", "claude-opus-4-7-20260416"])

            // The same numbers from the file, with no daemon.
            let live = try cco.run("stats", "--range", "all", "--group-by", "project", "--format", "csv")
            #expect(try cco.run("daemon", "stop").status == 0)
            let offline = try cco.run("stats", "--range", "all", "--group-by", "project", "--format", "csv")
            #expect(offline.status == 0)
            #expect(live.stdout == offline.stdout)
            #expect(live.stdout.contains("\nbeta,3,"), "\(live.stdout)")
        }
    }

    /// One call as Claude Code makes it: its headers, a stream read whole (or until the cut).
    func send(_ call: Call, port: Int) async throws {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/messages")
        request.method = .POST
        var headers = [("authorization", "Bearer sk-ant-oat01-test"), ("anthropic-version", "2023-06-01"),
                       ("anthropic-beta", "claude-code-20250219,oauth-2025-04-20,prompt-caching-scope-2026-01-05"),
                       ("user-agent", "claude-cli/2.0.14 (external, cli)"), ("x-claude-code-session-id", call.session),
                       ("x-client-request-id", UUID().uuidString), ("x-stainless-retry-count", "0"), ("x-fake-usage", call.usageJSON)]
        if let agent = call.agent { headers.append(("x-claude-code-agent-id", agent)) }
        if let parent = call.parentAgent { headers.append(("x-claude-code-parent-agent-id", parent)) }
        if let project = call.projectHeader { headers.append(("x-cco-project", project)) }
        if call.cut { headers.append(("x-fake-cut", "1")) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.headers.add(name: "content-type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"model":"\#(call.model)","max_tokens":32000,"stream":\#(call.stream),"system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral","ttl":"1h"}}],"messages":[{"role":"user","content":"hi"}]}"#))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(response.status == .ok)
        do {
            let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(!call.cut, "a cut stream does not arrive whole")
            if call.stream { #expect(body.contains("message_stop")) }
        } catch {
            #expect(call.cut, "\(error)")
        }
    }
}
