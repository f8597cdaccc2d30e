#if canImport(Glibc)
import Glibc
#endif
import CCOCore
import CCOSQLite
import CCOTestSupport
import Foundation
import Testing
@testable import CCOAnalytics

/// A database path in a fresh folder, removed afterwards with whatever SQLite made beside it.
func withDatabasePath<T>(_ body: (String) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { dir in try await body(dir + "/a.db") }
}

let day: Int64 = 86_400_000

func row(_ ts: Int64, model: String = "claude-sonnet-4-5-20250929", status: Int = 200, hit: Bool = false,
         usage: TokenUsage = TokenUsage(input: 100, output: 10, cacheRead: 5, cacheWrite: 3)) -> RequestRecord {
    var record = RequestRecord(timestampMilliseconds: ts, route: "/v1/messages", model: model, status: status,
                               latencyMilliseconds: 2, usage: usage, cacheHit: hit)
    record.price(with: PricingTable())
    return record
}

@Suite struct AnalyticsStoreTests {
    @Test func statsSumWhatTheUpstreamBilledAndWhatHitsSaved() async throws {
        try await withDatabasePath { path in
            let store = try AnalyticsStore(path: path)
            let now = WallClock.nowMilliseconds()
            try store.insert([row(now - 1000), row(now - 900, hit: true), row(now - 800, model: "claude-haiku-4-5", status: 529, usage: .zero)])
            let report = try store.stats(range: .all, groupBy: .model, nowMilliseconds: now)
            #expect(report.totals.requests == 3)
            #expect(report.totals.cacheHits == 1)
            #expect(report.totals.errors == 1)
            #expect(report.totals.inputTokens == 100)
            #expect(report.totals.outputTokens == 10)
            let oneCall: Double = ModelPrice(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75).cost(of: TokenUsage(input: 100, output: 10, cacheRead: 5, cacheWrite: 3))
            #expect(abs(report.totals.costUSD - oneCall) < 1e-12)
            #expect(abs(report.totals.savedUSD - oneCall) < 1e-12)
            #expect(report.groups.map(\.key) == ["claude-haiku-4-5", "claude-sonnet-4-5-20250929"])
        }
    }

    /// A batch keeps the rate-limit headers of its latest call that had any, named without their
    /// prefix and in lower case; a name that came twice (in two cases) keeps its last value.
    @Test func theLatestCallsRateLimitHeadersAreKeptByTheirLowercasedNames() async throws {
        try await withDatabasePath { path in
            let store = try AnalyticsStore(path: path)
            let now = WallClock.nowMilliseconds()
            var older = row(now - 300)
            older.rateLimits = [RateLimitHeader(name: "anthropic-ratelimit-unified-status", value: "rejected")]
            var latest = row(now - 200)
            latest.rateLimits = [
                RateLimitHeader(name: "Anthropic-RateLimit-Unified-5h-Utilization", value: "0.25"),
                RateLimitHeader(name: "anthropic-ratelimit-unified-status", value: "allowed_warning"),
                RateLimitHeader(name: "ANTHROPIC-RATELIMIT-UNIFIED-STATUS", value: "allowed"),
            ]
            try store.write([older, latest, row(now - 100)], projects: [])
            let report = try store.stats(range: .all, groupBy: .model, nowMilliseconds: now)
            #expect(report.rateLimits == ["5h-utilization": "0.25", "status": "allowed"])
            #expect(report.rateLimitsAtMilliseconds == now - 200)
        }
    }

    @Test func rangesStartWhereTheySay() async throws {
        try await withDatabasePath { path in
            let store = try AnalyticsStore(path: path)
            let now = WallClock.nowMilliseconds()
            try store.insert([row(now - 40 * day), row(now - 20 * day), row(now - 3 * day), row(now - 1)])
            #expect(try store.stats(range: .all, groupBy: .day, nowMilliseconds: now).totals.requests == 4)
            #expect(try store.stats(range: .month, groupBy: .day, nowMilliseconds: now).totals.requests == 3)
            #expect(try store.stats(range: .week, groupBy: .day, nowMilliseconds: now).totals.requests == 2)
            #expect(try store.stats(range: .today, groupBy: .day, nowMilliseconds: now).totals.requests == 1)
            #expect(try store.stats(range: .all, groupBy: .day, nowMilliseconds: now).groups.count == 4)
        }
    }

    @Test func retentionDeletesOnlyOlderRows() async throws {
        try await withDatabasePath { path in
            let store = try AnalyticsStore(path: path)
            let now = WallClock.nowMilliseconds()
            try store.insert([row(now - 100 * day), row(now - 89 * day), row(now)])
            #expect(try store.deleteRows(before: now - 90 * day, limit: 1000) == 1)
            #expect(try store.rowCount() == 2)
        }
    }

    @Test func aWriteCallsItsHookBetweenStatementsEachTimeWithTheRowsBeforeItInserted() async throws {
        try await withDatabasePath { path in
            let store = try AnalyticsStore(path: path)
            let now = WallClock.nowMilliseconds()
            var seen: [Int] = []
            // 16 + 2 + 1 rows: three statements.
            let ids = try store.write((0 ..< 19).map { row(now - 19 + Int64($0)) }, projects: []) {
                seen.append((try? store.rowCount()) ?? -1)
            }
            #expect(seen == [16, 18])
            #expect(ids?.count == 19)
            #expect(try store.rowCount() == 19)
        }
    }

    /// A log that grew past ``AnalyticsStore/keptLogBytes`` (a steady load puts off its checkpoint)
    /// is cut back to it when SQLite starts it over, rather than keeping its largest size on disk.
    @Test func theLogFileIsCutBackOnceFoldedAfterGrowingPastWhatIsKept() async throws {
        try await withDatabasePath { path in
            let store = try AnalyticsStore(path: path)
            let logSize = { (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0 }
            let now = WallClock.nowMilliseconds()
            var written = 0
            // Small transactions: each writes the table's and index's last pages again (~5 MB
            // of log takes ~4000 rows).
            while logSize() <= AnalyticsStore.keptLogBytes + (1 << 20) && written < 100_000 {
                try store.write((0 ..< 10).map { row(now - 100_000 + Int64(written + $0)) }, projects: [])
                written += 10
            }
            try #require(logSize() > AnalyticsStore.keptLogBytes, "the log never grew past what is kept")
            try store.connection.checkpoint()
            try store.write([row(now)], projects: [])
            #expect(logSize() <= AnalyticsStore.keptLogBytes, "\(logSize()) bytes of log after \(written) rows")
            #expect(try store.rowCount() == written + 1)
        }
    }

    /// Rows go to the database 16 to a statement and the rest by statements of 8, 4, 2 and 1: a
    /// batch of each size is stored whole, in order, every column as given.
    @Test(arguments: [1, 2, 3, 7, 15, 16, 17, 31, 32, 45])
    func aBatchOfAnySizeIsStoredWholeInOrderWithEveryColumn(count: Int) throws {
        let store = try AnalyticsStore(path: ":memory:")
        let records = (0 ..< count).map(distinctRecord)
        let ids = try store.write(records, projects: [])
        #expect(ids == 1 ... Int64(count))
        let stored = try store.connection.rows("SELECT \(AnalyticsStore.insertedColumns) FROM requests ORDER BY id")
        #expect(stored.count == count)
        for (index, (row, record)) in zip(stored, records).enumerated() {
            #expect(row == columns(of: record), "row \(index + 1) of \(count)")
        }
    }

    /// A record whose every field differs from the next one's, with text of every storage (absent,
    /// empty, short, long and not ASCII).
    private func distinctRecord(_ i: Int) -> RequestRecord {
        var record = RequestRecord(
            timestampMilliseconds: 1_764_000_000_000 + Int64(i), route: i % 3 == 0 ? "/v1/messages" : "/v1/messages/count_tokens",
            model: i % 4 == 0 ? nil : "claude-opus-4-5-\(i)", status: 200 + i, latencyMilliseconds: Double(i) + 0.5,
            usage: TokenUsage(input: i, output: 2 * i, cacheRead: 3 * i, cacheWrite: 4 * i, cacheWrite1h: 5 * i, webSearchRequests: i % 2),
            cacheHit: i % 2 == 0, streamed: i % 3 == 0, incomplete: i % 5 == 0, serviceTier: i % 2 == 0 ? "standard" : nil,
            costUSD: Double(i) / 1000, savedUSD: Double(i) / 3, priced: i % 7 != 0,
            client: i % 6 == 0 ? "" : "claude-cli/2.0.\(i) (external, cli) ✓",
            attribution: Attribution(session: "session-\(i % 3)-" + String(repeating: "é", count: i * 7), agent: i % 2 == 0 ? nil : "agent-\(i)",
                                     parentAgent: i % 3 == 1 ? "agent-\(i - 1)" : nil, clientName: "claude-cli", clientVersion: "2.0.\(i)",
                                     project: i % 4 == 1 ? "/home/dev/project-\(i)" : nil),
            requestID: "req_011CV\(i)")
        record.longContext = i % 8 == 3
        return record
    }

    /// The values of `record` in the order of the store's inserted columns.
    private func columns(of record: RequestRecord) -> [SQLiteValue] {
        let text = { (value: String?) in value.map(SQLiteValue.text) ?? .null }
        let flag = { (value: Bool) in SQLiteValue.integer(value ? 1 : 0) }
        let u = record.usage, a = record.attribution
        return [.integer(record.timestampMilliseconds), .text(record.route), text(record.model), .integer(Int64(record.status)),
                .real(record.latencyMilliseconds), .integer(Int64(u.input)), .integer(Int64(u.output)), .integer(Int64(u.cacheRead)),
                .integer(Int64(u.cacheWrite)), flag(record.cacheHit), flag(record.streamed), .real(record.costUSD), .real(record.savedUSD),
                flag(record.priced), text(record.client), .integer(Int64(u.cacheWrite1h)), .integer(Int64(u.webSearchRequests)),
                text(record.serviceTier), flag(record.longContext), flag(record.incomplete), text(a.session), text(a.agent),
                text(a.parentAgent), text(a.clientName), text(a.clientVersion), text(record.requestID), text(a.project)]
    }

    @Test func retentionInBatchesDeletesTheOldestFirstAndNoMoreThanItsLimit() async throws {
        try await withDatabasePath { path in
            let store = try AnalyticsStore(path: path)
            let now = WallClock.nowMilliseconds()
            try store.insert([row(now - 91 * day), row(now - 100 * day), row(now - 95 * day), row(now - 92 * day), row(now)])
            #expect(try store.deleteRows(before: now - 90 * day, limit: 2) == 2)
            #expect(try store.stats(range: .all, groupBy: .day, nowMilliseconds: now).totals.requests == 3)
            #expect(try store.deleteRows(before: now - 93 * day, limit: 2) == 0, "the two oldest went first")
            #expect(try store.deleteRows(before: now - 90 * day, limit: 2) == 2)
            #expect(try store.deleteRows(before: now - 90 * day, limit: 2) == 0)
            #expect(try store.rowCount() == 1)
        }
    }

    @Test func aStoppedDaemonsDatabaseReadsWithoutWriting() async throws {
        try await withDatabasePath { path in
            let now = WallClock.nowMilliseconds()
            do {
                let store = try AnalyticsStore(path: path)
                try store.insert([row(now)])
                try store.close()
            }
            let reader = try AnalyticsStore(readingExisting: path)
            #expect(try reader.stats(range: .today, groupBy: .model, nowMilliseconds: now).totals.requests == 1)
            #expect(throws: SQLiteError.self) { try reader.insert([row(now)]) }
        }
    }

    @Test func anUnpricedModelIsCountedNotGuessed() {
        var record = RequestRecord(timestampMilliseconds: 0, route: "/v1/messages", model: "somebody-else", status: 200,
                                   latencyMilliseconds: 1, usage: TokenUsage(input: 10))
        record.price(with: PricingTable())
        #expect(!record.priced)
        #expect(record.costUSD == 0)
    }

    @Test func theReportsJSONRoundTrips() throws {
        var totals = StatsTotals()
        totals.requests = 2
        totals.costUSD = 0.5
        let report = StatsReport(range: .week, groupBy: .model, sinceMilliseconds: 5, groups: [StatsGroup(key: "m", totals: totals)])
        #expect(try StatsReport(json: report.json()) == report)
        #expect(String(decoding: report.json(), as: UTF8.self).contains("\"cost_usd\" : 0.5"))
    }
}


@Suite struct AnalyticsMigrationTests {
    /// A database written by the first schema (before sessions, projects and 1-hour writes) is
    /// brought along: its rows stay, read as 5-minute writes, and new rows carry every field.
    @Test func aVersionOneDatabaseKeepsItsRowsAndGainsTheNewColumns() async throws {
        try await withDatabasePath { path in
            let old = try Connection(path: path)
            try Migrator([AnalyticsStore.migrator.migrations[0]]).migrate(old)
            try old.run("""
                INSERT INTO requests (ts_ms, route, model, status, latency_ms, input_tokens, output_tokens, cache_read_tokens,
                                      cache_write_tokens, cost_usd, client) VALUES (?, '/v1/messages', 'claude-opus-4-7', 200, 5, 10, 20, 30, 40, 0.5, 'curl/8')
                """, [.integer(WallClock.nowMilliseconds() - 1000)])
            let reader = try AnalyticsStore(readingExisting: path)
            #expect(try reader.connection.userVersion == AnalyticsStore.schemaVersion)
            let report = try reader.stats(range: .all, groupBy: .model, nowMilliseconds: WallClock.nowMilliseconds())
            #expect(report.totals.requests == 1 && report.totals.cacheWriteTokens == 40 && report.totals.costUSD == 0.5)

            let store = try AnalyticsStore(path: path)
            var record = RequestRecord(timestampMilliseconds: WallClock.nowMilliseconds(), route: "/v1/messages", model: "claude-opus-4-7",
                                       status: 200, latencyMilliseconds: 1,
                                       usage: TokenUsage(input: 1, output: 2, cacheRead: 3, cacheWrite: 4, cacheWrite1h: 5, webSearchRequests: 6),
                                       streamed: true, incomplete: true, serviceTier: "standard",
                                       attribution: Attribution(session: "s-1", agent: "a-1", parentAgent: "p-1", clientName: "claude-cli",
                                                                clientVersion: "2.0.14", project: "/home/a/p"),
                                       requestID: "req_1")
            record.price(with: PricingTable())
            try store.insert([record])
            let row = try #require(try store.connection.rows("""
                SELECT cache_write_1h_tokens, web_search_requests, service_tier, incomplete, session_id, agent_id, parent_agent_id,
                       client_name, client_version, request_id, project FROM requests WHERE request_id = 'req_1'
                """).first)
            #expect(row.map(\.text) == ["5", "6", "standard", "1", "s-1", "a-1", "p-1", "claude-cli", "2.0.14", "req_1", "/home/a/p"])
        }
    }
}
