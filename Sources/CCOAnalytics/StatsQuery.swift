import CCOSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `range=` of `/api/stats` and `cco stats --range`.
public enum StatsRange: String, Sendable, CaseIterable, Codable {
    /// Since local midnight.
    case today
    /// The last 7 days.
    case week
    /// The last 30 days.
    case month
    case all

    /// The first millisecond the range covers, for `now` in milliseconds since the epoch.
    public func start(nowMilliseconds now: Int64) -> Int64 {
        switch self {
        case .today: Self.localMidnight(before: now)
        case .week: now - 7 * 86_400_000
        case .month: now - 30 * 86_400_000
        case .all: 0
        }
    }

    static func localMidnight(before milliseconds: Int64) -> Int64 {
        BudgetWindows.localMidnight(of: milliseconds)
    }
}

/// `group_by=` of `/api/stats` and `cco stats --group-by`.
public enum StatsGrouping: String, Sendable, CaseIterable, Codable {
    case model
    /// By local calendar day, `YYYY-MM-DD`.
    case day
    /// By Claude Code session (`X-Claude-Code-Session-Id`).
    case session
    /// By project: `x-cco-project`, or the directory Claude Code ran in.
    case project
    /// By agent: a subagent's id, or `main` for calls of no subagent.
    case agent
    /// By client product and version (`claude-cli/2.0.14`).
    case client

    /// The SQL expression of the group's key; calls without one are grouped as `(none)`.
    var sqlKey: String {
        switch self {
        case .model: "COALESCE(model, route)"
        case .day: "date(ts_ms / 1000, 'unixepoch', 'localtime')"
        case .session: "COALESCE(session_id, '(none)')"
        case .project: "COALESCE(project, '(none)')"
        case .agent: "COALESCE(agent_id, 'main')"
        case .client: "COALESCE(client_name || COALESCE('/' || client_version, ''), '(none)')"
        }
    }
}

/// Which calls a report covers: a range (or explicit since/until), and optionally one session,
/// project or model. `/api/stats` and `cco stats` take the same parameters.
public struct StatsFilter: Sendable, Hashable {
    public var range: StatsRange
    /// Replaces the range's start: milliseconds since the epoch.
    public var sinceMilliseconds: Int64?
    /// Calls before this moment only.
    public var untilMilliseconds: Int64?
    public var session: String?
    public var project: String?
    /// The request's `model` as sent (`claude-opus-4-7`), or the route of calls that name none.
    public var model: String?

    public init(range: StatsRange = .today, sinceMilliseconds: Int64? = nil, untilMilliseconds: Int64? = nil,
                session: String? = nil, project: String? = nil, model: String? = nil) {
        self.range = range
        self.sinceMilliseconds = sinceMilliseconds
        self.untilMilliseconds = untilMilliseconds
        self.session = session
        self.project = project
        self.model = model
    }

    /// The first millisecond covered.
    public func start(nowMilliseconds now: Int64) -> Int64 { sinceMilliseconds ?? range.start(nowMilliseconds: now) }

    /// The SQL condition and its values.
    func condition(nowMilliseconds now: Int64) -> (sql: String, values: [SQLiteValue]) {
        var clauses = ["ts_ms >= ?"], values: [SQLiteValue] = [.integer(start(nowMilliseconds: now))]
        if let untilMilliseconds { clauses.append("ts_ms < ?"); values.append(.integer(untilMilliseconds)) }
        if let session { clauses.append("session_id = ?"); values.append(.text(session)) }
        if let project { clauses.append("project = ?"); values.append(.text(project)) }
        if let model { clauses.append("\(StatsGrouping.model.sqlKey) = ?"); values.append(.text(model)) }
        return (clauses.joined(separator: " AND "), values)
    }

    /// The parameters of `/api/stats` (and `/api/sessions`), as `cco stats` sends them.
    public var queryItems: [(String, String)] {
        var items = [("range", range.rawValue)]
        if let sinceMilliseconds { items.append(("since", String(sinceMilliseconds))) }
        if let untilMilliseconds { items.append(("until", String(untilMilliseconds))) }
        if let session { items.append(("session", session)) }
        if let project { items.append(("project", project)) }
        if let model { items.append(("model", model)) }
        return items
    }

    /// Reads the parameters `queryItems` writes.
    ///
    /// - Throws: a one-line message naming the parameter and what it takes.
    public init(parameters: [String: String]) throws(StatsParameterError) {
        let rangeText = parameters["range"] ?? StatsRange.today.rawValue
        guard let range = StatsRange(rawValue: rangeText) else {
            throw StatsParameterError("range must be one of \(StatsRange.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(rangeText)\"")
        }
        self.init(range: range, session: parameters["session"], project: parameters["project"], model: parameters["model"])
        for (name, text) in [("since", parameters["since"]), ("until", parameters["until"])] {
            guard let text else { continue }
            guard let moment = Self.moment(text) else {
                throw StatsParameterError("\(name) must be a local date or time (2026-12-01, 2026-12-01T09:30) or milliseconds since the epoch, found \"\(text)\"")
            }
            if name == "since" { sinceMilliseconds = moment } else { untilMilliseconds = moment }
        }
    }

    /// `2026-12-01`, `2026-12-01T09:30` (or with a space), local time; or milliseconds since the epoch.
    public static func moment(_ text: String) -> Int64? {
        if let milliseconds = Int64(text), milliseconds >= 0 { return milliseconds }
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == "T" || $0 == " " || $0 == ":" }).map { Int32($0) }
        guard parts.count == 3 || parts.count == 5, parts.allSatisfy({ $0 != nil }) else { return nil }
        let n = parts.map { $0! }
        guard (1970 ... 9999).contains(n[0]), (1 ... 12).contains(n[1]), (1 ... 31).contains(n[2]) else { return nil }
        var fields = tm()
        fields.tm_year = n[0] - 1900
        fields.tm_mon = n[1] - 1
        fields.tm_mday = n[2]
        if parts.count == 5 {
            guard (0 ... 23).contains(n[3]), (0 ... 59).contains(n[4]) else { return nil }
            fields.tm_hour = n[3]
            fields.tm_min = n[4]
        }
        fields.tm_isdst = -1
        let seconds = mktime(&fields)
        return seconds < 0 ? nil : Int64(seconds) * 1000
    }
}

/// A bad `/api/stats` parameter or `cco stats` option, in one line.
public struct StatsParameterError: Error, Sendable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The totals of a range of requests, as `/api/stats` and `cco stats --json` print them.
public struct StatsTotals: Sendable, Hashable, Codable {
    public var requests = 0
    public var cacheHits = 0
    public var errors = 0
    public var inputTokens = 0
    public var outputTokens = 0
    public var cacheReadTokens = 0
    public var cacheWriteTokens = 0
    public var cacheWrite1hTokens = 0
    public var webSearchRequests = 0
    /// Streams that ended before `message_stop`: their usage is what had arrived.
    public var incomplete = 0
    public var costUSD = 0.0
    public var savedUSD = 0.0
    /// Requests whose model had no price; their cost is not in `cost_usd`.
    public var unpriced = 0
    public var averageLatencyMilliseconds = 0.0

    enum CodingKeys: String, CodingKey {
        case requests
        case cacheHits = "cache_hits"
        case errors
        case inputTokens = "input_tokens"
        case outputTokens = "output_tokens"
        case cacheReadTokens = "cache_read_tokens"
        case cacheWriteTokens = "cache_write_tokens"
        case cacheWrite1hTokens = "cache_write_1h_tokens"
        case webSearchRequests = "web_search_requests"
        case incomplete
        case costUSD = "cost_usd"
        case savedUSD = "saved_usd"
        case unpriced
        case averageLatencyMilliseconds = "avg_latency_ms"
    }

    public init() {}

    /// Fields a daemon of an earlier version does not send read as 0.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func int(_ key: CodingKeys) throws -> Int { try c.decodeIfPresent(Int.self, forKey: key) ?? 0 }
        func double(_ key: CodingKeys) throws -> Double { try c.decodeIfPresent(Double.self, forKey: key) ?? 0 }
        requests = try int(.requests)
        cacheHits = try int(.cacheHits)
        errors = try int(.errors)
        inputTokens = try int(.inputTokens)
        outputTokens = try int(.outputTokens)
        cacheReadTokens = try int(.cacheReadTokens)
        cacheWriteTokens = try int(.cacheWriteTokens)
        cacheWrite1hTokens = try int(.cacheWrite1hTokens)
        webSearchRequests = try int(.webSearchRequests)
        incomplete = try int(.incomplete)
        costUSD = try double(.costUSD)
        savedUSD = try double(.savedUSD)
        unpriced = try int(.unpriced)
        averageLatencyMilliseconds = try double(.averageLatencyMilliseconds)
    }

    mutating func add(_ other: StatsTotals) {
        let latencySum = averageLatencyMilliseconds * Double(requests) + other.averageLatencyMilliseconds * Double(other.requests)
        requests += other.requests
        cacheHits += other.cacheHits
        errors += other.errors
        inputTokens += other.inputTokens
        outputTokens += other.outputTokens
        cacheReadTokens += other.cacheReadTokens
        cacheWriteTokens += other.cacheWriteTokens
        cacheWrite1hTokens += other.cacheWrite1hTokens
        webSearchRequests += other.webSearchRequests
        incomplete += other.incomplete
        costUSD += other.costUSD
        savedUSD += other.savedUSD
        unpriced += other.unpriced
        averageLatencyMilliseconds = requests == 0 ? 0 : latencySum / Double(requests)
    }
}

/// One group of a stats report: a model, a day, a session, a project, an agent or a client.
public struct StatsGroup: Sendable, Hashable, Codable {
    public var key: String
    public var totals: StatsTotals

    public init(key: String, totals: StatsTotals) {
        self.key = key
        self.totals = totals
    }

    public init(from decoder: any Decoder) throws {
        key = try decoder.container(keyedBy: KeyName.self).decode(String.self, forKey: .key)
        totals = try StatsTotals(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: KeyName.self)
        try container.encode(key, forKey: .key)
        try totals.encode(to: encoder)
    }

    enum KeyName: String, CodingKey { case key }
}

/// The answer of `GET /api/stats`.
public struct StatsReport: Sendable, Hashable, Codable {
    public var range: StatsRange
    public var groupBy: StatsGrouping
    /// The first moment covered, in milliseconds since the epoch.
    public var sinceMilliseconds: Int64
    /// Calls before this moment only, when the report was asked with `until`.
    public var untilMilliseconds: Int64?
    public var session: String?
    public var project: String?
    public var totals: StatsTotals
    public var groups: [StatsGroup]
    /// The latest `anthropic-ratelimit-unified-*` headers the upstream sent, without that prefix
    /// (`5h-utilization`, `7d-reset`, `status`, …).
    public var rateLimits: [String: String]?
    /// When the upstream sent them.
    public var rateLimitsAtMilliseconds: Int64?

    enum CodingKeys: String, CodingKey {
        case range
        case groupBy = "group_by"
        case sinceMilliseconds = "since_ms"
        case untilMilliseconds = "until_ms"
        case session
        case project
        case totals
        case groups
        case rateLimits = "rate_limits"
        case rateLimitsAtMilliseconds = "rate_limits_at_ms"
    }

    public init(range: StatsRange, groupBy: StatsGrouping, sinceMilliseconds: Int64, groups: [StatsGroup]) {
        self.range = range
        self.groupBy = groupBy
        self.sinceMilliseconds = sinceMilliseconds
        self.groups = groups
        var totals = StatsTotals()
        for group in groups { totals.add(group.totals) }
        self.totals = totals
    }

    public init(filter: StatsFilter, groupBy: StatsGrouping, nowMilliseconds: Int64, groups: [StatsGroup]) {
        self.init(range: filter.range, groupBy: groupBy, sinceMilliseconds: filter.start(nowMilliseconds: nowMilliseconds), groups: groups)
        untilMilliseconds = filter.untilMilliseconds
        session = filter.session
        project = filter.project
    }
}

/// One Claude Code session, as `cco stats sessions` and `GET /api/sessions` list it.
public struct SessionSummary: Sendable, Hashable, Codable {
    public var session: String
    public var project: String?
    public var firstMilliseconds: Int64
    public var lastMilliseconds: Int64
    public var models: [String]
    public var calls: Int
    public var costUSD: Double
    /// Calls whose model had no price; their cost is not in `cost_usd`.
    public var unpriced: Int

    enum CodingKeys: String, CodingKey {
        case session, project, models, calls, unpriced
        case firstMilliseconds = "first_ms"
        case lastMilliseconds = "last_ms"
        case costUSD = "cost_usd"
    }

    public init(session: String, project: String?, firstMilliseconds: Int64, lastMilliseconds: Int64, models: [String],
                calls: Int, costUSD: Double, unpriced: Int) {
        self.session = session
        self.project = project
        self.firstMilliseconds = firstMilliseconds
        self.lastMilliseconds = lastMilliseconds
        self.models = models
        self.calls = calls
        self.costUSD = costUSD
        self.unpriced = unpriced
    }
}

/// The answer of `GET /api/sessions`: the most recent first.
public struct SessionList: Sendable, Hashable, Codable {
    public var sinceMilliseconds: Int64
    public var sessions: [SessionSummary]

    enum CodingKeys: String, CodingKey {
        case sinceMilliseconds = "since_ms"
        case sessions
    }

    public init(sinceMilliseconds: Int64, sessions: [SessionSummary]) {
        self.sinceMilliseconds = sinceMilliseconds
        self.sessions = sessions
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An answer of the daemon's analytics API (`/api/stats`, `/api/sessions`, `/api/calls`,
/// `/api/budget`): the daemon sends `json()`, and `cco` prints those same bytes with `--json` or
/// reads them back with `init(json:)`, so both give the same answer whether a daemon runs or not.
public protocol AnalyticsJSON: Codable {}

extension AnalyticsJSON {
    public func json() -> [UInt8] { StatsJSON.encode(self) }

    public init(json: [UInt8]) throws {
        self = try JSONDecoder().decode(Self.self, from: Data(json))
    }
}

extension StatsReport: AnalyticsJSON {}
extension SessionList: AnalyticsJSON {}

enum StatsJSON {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Encoding plain structs of numbers and strings cannot fail.
        return Array((try? encoder.encode(value)) ?? Data("{}".utf8)) + [UInt8(ascii: "\n")]
    }
}
