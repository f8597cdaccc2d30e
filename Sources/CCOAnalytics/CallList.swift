#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CCOSQLite

/// One recorded call, as `GET /api/calls` lists it and `GET /api/events` announces it.
///
/// Tokens are those the call reported, a cache hit's included (its `cost_usd` is 0 and `saved_usd`
/// what it would have cost); the stats count only billed tokens.
public struct CallRecord: Sendable, Hashable, Codable {
    /// The row's id: increasing in the order calls were written, so a client that saw id N asks for
    /// what came after it.
    public var id: Int64
    public var timestampMilliseconds: Int64
    public var route: String
    public var model: String?
    public var status: Int
    public var latencyMilliseconds: Double
    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var cacheWriteTokens: Int
    public var cacheWrite1hTokens: Int
    public var costUSD: Double
    public var savedUSD: Double
    public var priced: Bool
    public var cacheHit: Bool
    public var streamed: Bool
    /// A stream that ended before `message_stop`.
    public var incomplete: Bool
    public var session: String?
    public var agent: String?
    public var project: String?
    /// The client's product and version (`claude-cli/2.1.3`).
    public var client: String?

    enum CodingKeys: String, CodingKey {
        case id, route, model, status, priced, streamed, incomplete, session, agent, project, client
        case timestampMilliseconds = "ts_ms"
        case latencyMilliseconds = "latency_ms"
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case cacheReadTokens = "cache_read_tokens"
        case cacheWriteTokens = "cache_write_tokens"
        case cacheWrite1hTokens = "cache_write_1h_tokens"
        case costUSD = "cost_usd"
        case savedUSD = "saved_usd"
        case cacheHit = "cache_hit"
    }

    /// `record` as written under row `id`.
    public init(id: Int64, record r: RequestRecord) {
        self.id = id
        timestampMilliseconds = r.timestampMilliseconds
        route = r.route
        model = r.model
        status = r.status
        latencyMilliseconds = r.latencyMilliseconds
        inputTokens = r.usage.input
        outputTokens = r.usage.output
        cacheReadTokens = r.usage.cacheRead
        cacheWriteTokens = r.usage.cacheWrite
        cacheWrite1hTokens = r.usage.cacheWrite1h
        costUSD = r.costUSD
        savedUSD = r.savedUSD
        priced = r.priced
        cacheHit = r.cacheHit
        streamed = r.streamed
        incomplete = r.incomplete
        session = r.attribution.session
        agent = r.attribution.agent
        project = r.attribution.project
        client = r.attribution.clientName.map { name in r.attribution.clientVersion.map { "\(name)/\($0)" } ?? name }
    }

    /// The columns ``init(row:)`` reads, in its order.
    static let columns = """
        id, ts_ms, route, model, status, latency_ms, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
        cache_write_1h_tokens, cost_usd, saved_usd, priced, cache_hit, streamed, incomplete, session_id, agent_id, project,
        client_name || COALESCE('/' || client_version, '')
        """

    init(row: [SQLiteValue]) {
        func text(_ index: Int) -> String? { row[index] == .null ? nil : row[index].text }
        id = Int64(row[0].int)
        timestampMilliseconds = Int64(row[1].int)
        route = row[2].text
        model = text(3)
        status = row[4].int
        latencyMilliseconds = row[5].double
        inputTokens = row[6].int
        outputTokens = row[7].int
        cacheReadTokens = row[8].int
        cacheWriteTokens = row[9].int
        cacheWrite1hTokens = row[10].int
        costUSD = row[11].double
        savedUSD = row[12].double
        priced = row[13].int != 0
        cacheHit = row[14].int != 0
        streamed = row[15].int != 0
        incomplete = row[16].int != 0
        session = text(17)
        agent = text(18)
        project = text(19)
        client = text(20)
    }

    /// One call as JSON on one line: the data of a server-sent event.
    public func jsonLine() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data("{}".utf8))
    }
}

/// The answer of `GET /api/calls`: the most recent first.
public struct CallList: Sendable, Hashable, Codable {
    public var sinceMilliseconds: Int64
    public var calls: [CallRecord]

    enum CodingKeys: String, CodingKey {
        case sinceMilliseconds = "since_ms"
        case calls
    }

    public init(sinceMilliseconds: Int64, calls: [CallRecord]) {
        self.sinceMilliseconds = sinceMilliseconds
        self.calls = calls
    }
}

extension CallList: AnalyticsJSON {}

extension AnalyticsStore {
    /// The calls `filter` covers, the most recent first, at most `limit`.
    public func calls(_ filter: StatsFilter, limit: Int, nowMilliseconds: Int64) throws -> CallList {
        let (condition, values) = filter.condition(nowMilliseconds: nowMilliseconds)
        let rows = try connection.rows("""
            SELECT \(CallRecord.columns) FROM requests WHERE \(condition) ORDER BY id DESC LIMIT ?
            """, values + [.integer(Int64(limit))])
        return CallList(sinceMilliseconds: filter.start(nowMilliseconds: nowMilliseconds), calls: rows.map(CallRecord.init(row:)))
    }

    /// The calls written after row `id`, oldest first, at most `limit`: what a client that saw `id`
    /// missed (rows another process wrote included).
    public func calls(after id: Int64, limit: Int) throws -> [CallRecord] {
        try connection.rows("SELECT \(CallRecord.columns) FROM requests WHERE id > ? ORDER BY id LIMIT ?",
                            [.integer(id), .integer(Int64(limit))]).map(CallRecord.init(row:))
    }

    /// The id of the last row written, 0 for none.
    public func lastCallID() throws -> Int64 {
        if case .integer(let n)? = try connection.scalar("SELECT COALESCE(MAX(id), 0) FROM requests") { return n }
        return 0
    }
}
