import Foundation
import Testing
import CCOCore
@testable import CCOAnalytics

@Suite struct CallListTests {
    static func record(_ at: Int64, model: String = "claude-opus-4-7", session: String? = nil, cost: Double = 0.01) -> RequestRecord {
        RequestRecord(timestampMilliseconds: at, route: "/v1/messages", model: model, status: 200, latencyMilliseconds: 1200,
                      usage: TokenUsage(input: 10, output: 20, cacheRead: 300, cacheWrite: 40, cacheWrite1h: 5), streamed: true,
                      costUSD: cost, attribution: Attribution(session: session, agent: "agent-1", clientName: "claude-cli", clientVersion: "2.1.3", project: "cco"))
    }

    @Test func aSessionsCallsComeNewestFirstAndAtMostTheLimit() throws {
        let store = try AnalyticsStore(path: ":memory:")
        let now: Int64 = 1_796_000_000_000
        try store.insert([Self.record(now - 3000, session: "a"), Self.record(now - 2000, session: "b"), Self.record(now - 1000, session: "a"),
                          Self.record(now - 500, session: "a")])
        let all = try store.calls(StatsFilter(range: .all, session: "a"), limit: 10, nowMilliseconds: now)
        #expect(all.calls.map(\.id) == [4, 3, 1])
        #expect(all.calls.allSatisfy { $0.session == "a" })
        #expect(try store.calls(StatsFilter(range: .all, session: "a"), limit: 2, nowMilliseconds: now).calls.map(\.id) == [4, 3])
        #expect(try store.calls(StatsFilter(range: .all, sinceMilliseconds: now - 1500), limit: 10, nowMilliseconds: now).calls.map(\.id) == [4, 3])
    }

    @Test func theCallsAfterAnIDComeOldestFirst() throws {
        let store = try AnalyticsStore(path: ":memory:")
        try store.insert((1 ... 5).map { Self.record(Int64($0) * 1000) })
        #expect(try store.calls(after: 2, limit: 10).map(\.id) == [3, 4, 5])
        #expect(try store.calls(after: 2, limit: 2).map(\.id) == [3, 4])
        #expect(try store.calls(after: 5, limit: 10).isEmpty)
        #expect(try store.lastCallID() == 5)
    }

    @Test func aCallReadBackIsTheCallAnnouncedAsItWasWritten() throws {
        let store = try AnalyticsStore(path: ":memory:")
        var record = Self.record(1_796_000_000_000, session: "s")
        record.incomplete = true
        let ids = try store.write([record], projects: [])
        let announced = CallRecord(id: ids!.lowerBound, record: record)
        let read = try store.calls(after: 0, limit: 1)
        #expect(read == [announced])
        #expect(announced.client == "claude-cli/2.1.3")
        let json = String(decoding: announced.jsonLine(), as: UTF8.self)
        #expect(!json.contains("\n"), "one line: the data of one server-sent event")
        for key in ["\"id\":1", "\"ts_ms\":1796000000000", "\"cache_write_1h_tokens\":5", "\"incomplete\":true", "\"session\":\"s\"", "\"agent\":\"agent-1\""] {
            #expect(json.contains(key), "\(key) in \(json)")
        }
    }

    @Test func statsOfOneModelCountOnlyItsCalls() throws {
        let store = try AnalyticsStore(path: ":memory:")
        let now: Int64 = 1_796_000_000_000
        try store.insert([Self.record(now - 1000, model: "claude-opus-4-7", cost: 1), Self.record(now - 900, model: "claude-haiku-4-5", cost: 0.5),
                          Self.record(now - 800, model: "claude-opus-4-7", cost: 2)])
        let filter = try StatsFilter(parameters: ["range": "all", "model": "claude-opus-4-7"])
        #expect(filter.queryItems.contains { $0 == ("model", "claude-opus-4-7") })
        let report = try store.stats(filter, groupBy: .day, nowMilliseconds: now)
        #expect(report.totals.requests == 2)
        #expect(report.totals.costUSD == 3)
    }
}
