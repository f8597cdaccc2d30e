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
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        system_localtime_r(&seconds, &parts)
        parts.tm_hour = 0
        parts.tm_min = 0
        parts.tm_sec = 0
        parts.tm_isdst = -1
        return Int64(mktime(&parts)) * 1000
    }
}

/// `group_by=` of `/api/stats`.
public enum StatsGrouping: String, Sendable, CaseIterable, Codable {
    case model
    /// By local calendar day, `YYYY-MM-DD`.
    case day
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
        case costUSD = "cost_usd"
        case savedUSD = "saved_usd"
        case unpriced
        case averageLatencyMilliseconds = "avg_latency_ms"
    }

    public init() {}

    mutating func add(_ other: StatsTotals) {
        let latencySum = averageLatencyMilliseconds * Double(requests) + other.averageLatencyMilliseconds * Double(other.requests)
        requests += other.requests
        cacheHits += other.cacheHits
        errors += other.errors
        inputTokens += other.inputTokens
        outputTokens += other.outputTokens
        cacheReadTokens += other.cacheReadTokens
        cacheWriteTokens += other.cacheWriteTokens
        costUSD += other.costUSD
        savedUSD += other.savedUSD
        unpriced += other.unpriced
        averageLatencyMilliseconds = requests == 0 ? 0 : latencySum / Double(requests)
    }
}

/// One group of a stats report: a model, or a day.
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
    /// The range's first moment, in milliseconds since the epoch.
    public var sinceMilliseconds: Int64
    public var totals: StatsTotals
    public var groups: [StatsGroup]

    enum CodingKeys: String, CodingKey {
        case range
        case groupBy = "group_by"
        case sinceMilliseconds = "since_ms"
        case totals
        case groups
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
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension StatsReport {
    /// The report as `/api/stats` sends it and `cco stats --json` prints it: the same bytes either way.
    public func json() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Encoding plain structs of numbers and strings cannot fail.
        return Array((try? encoder.encode(self)) ?? Data("{}".utf8)) + [UInt8(ascii: "\n")]
    }

    public init(json: [UInt8]) throws {
        self = try JSONDecoder().decode(StatsReport.self, from: Data(json))
    }
}
