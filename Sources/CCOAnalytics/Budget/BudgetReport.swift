public import CCOCore
import CCOSQLite

/// The answer of `GET /api/budget`: every budget, today's and this month's spend, and, when asked
/// for one, a Claude Code session's cost and prompt-cache read share. `cco budget` prints it and
/// `cco statusline` draws its line from it.
public struct BudgetReport: Sendable, Hashable, Codable {
    public var budgets: [BudgetStatus]
    public var warnAt: Double
    public var todayUSD: Double
    public var monthUSD: Double
    public var session: SessionFigures?
    /// The latest `anthropic-ratelimit-unified-*` headers, without that prefix.
    public var rateLimits: [String: String]?

    public struct SessionFigures: Sendable, Hashable, Codable {
        public var id: String
        public var requests: Int
        public var costUSD: Double
        /// Prompt-cache reads over every input token the session sent (read, written, uncached).
        public var cacheReadShare: Double?

        enum CodingKeys: String, CodingKey {
            case id, requests
            case costUSD = "cost_usd"
            case cacheReadShare = "cache_read_share"
        }

        public init(id: String, totals: StatsTotals) {
            self.id = id
            requests = totals.requests
            costUSD = totals.costUSD
            let input = totals.inputTokens + totals.cacheReadTokens + totals.cacheWriteTokens + totals.cacheWrite1hTokens
            cacheReadShare = input > 0 ? Double(totals.cacheReadTokens) / Double(input) : nil
        }
    }

    enum CodingKeys: String, CodingKey {
        case budgets, session
        case warnAt = "warn_at"
        case todayUSD = "today_usd"
        case monthUSD = "month_usd"
        case rateLimits = "rate_limits"
    }

    public init(budgets: [BudgetStatus], warnAt: Double, todayUSD: Double, monthUSD: Double, session: SessionFigures?, rateLimits: [String: String]?) {
        self.budgets = budgets
        self.warnAt = warnAt
        self.todayUSD = todayUSD
        self.monthUSD = monthUSD
        self.session = session
        self.rateLimits = rateLimits
    }
}

extension BudgetReport: AnalyticsJSON {}

extension AnalyticsStore {
    /// The report from the database alone, for `cco budget` with no daemon running.
    public func budgetReport(_ config: BudgetConfig, session: String?, nowMilliseconds now: Int64) throws -> BudgetReport {
        let ledger = BudgetLedger(config: config, nowMilliseconds: now)
        try ledger.load(from: self, nowMilliseconds: now)
        if let session { try ledger.loadSession(session, from: self, nowMilliseconds: now) }
        return try budgetReport(ledger: ledger, session: session, nowMilliseconds: now)
    }

    /// The report with `ledger`'s budgets and totals (read from this database already), the
    /// session's figures (the session index) and the latest rate-limit headers: no query scans
    /// the month, so that a statusline drawn after every message stays cheap.
    public func budgetReport(ledger: BudgetLedger, session: String?, nowMilliseconds now: Int64) throws -> BudgetReport {
        var figures: BudgetReport.SessionFigures?
        if let session {
            let report = try stats(StatsFilter(range: .all, session: session), groupBy: .model, nowMilliseconds: now)
            figures = .init(id: session, totals: report.totals)
        }
        let limits = try connection.rows("SELECT name, value FROM rate_limits")
        let totals = ledger.totals(nowMilliseconds: now)
        return BudgetReport(budgets: ledger.statuses(session: session, nowMilliseconds: now), warnAt: ledger.config.warnAt,
                            todayUSD: totals.day, monthUSD: totals.month, session: figures,
                            rateLimits: limits.isEmpty ? nil : Dictionary(limits.map { ($0[0].text, $0[1].text) }) { _, last in last })
    }
}
