/// The `[budget]` table: spending caps the gateway enforces, in US dollars.
///
///     [budget]
///     daily_usd = 20        # calendar day, local time
///     monthly_usd = 300     # calendar month, local time
///     session_usd = 5       # one Claude Code session
///     warn_at = 0.8         # warn once at this share of each budget
///     notify = true         # desktop notifications for the warnings
///
///     [budget.project."billing-api"]
///     daily_usd = 5
public struct BudgetConfig: Sendable, Hashable {
    public var dailyUSD: Double?
    public var monthlyUSD: Double?
    public var sessionUSD: Double?
    /// The share of a budget at which one warning is logged (and shown).
    public var warnAt: Double = 0.8
    /// Whether warnings are also shown as desktop notifications.
    public var notify: Bool = true
    /// `[budget.project."NAME"]` tables.
    public var projects: [String: ProjectBudget] = [:]

    public struct ProjectBudget: Sendable, Hashable {
        public var dailyUSD: Double?
        public var monthlyUSD: Double?

        public init(dailyUSD: Double? = nil, monthlyUSD: Double? = nil) {
            self.dailyUSD = dailyUSD
            self.monthlyUSD = monthlyUSD
        }
    }

    public init() {}

    /// Whether any budget is set (the gateway skips every check when none is).
    public var hasLimits: Bool {
        dailyUSD != nil || monthlyUSD != nil || sessionUSD != nil
            || projects.values.contains { $0.dailyUSD != nil || $0.monthlyUSD != nil }
    }

    /// Every budget that is set, in a stable order: daily, monthly, session, then projects by name.
    public var limits: [(budget: BudgetName, usd: Double)] {
        var all: [(BudgetName, Double)] = []
        if let dailyUSD { all.append((BudgetName(period: .daily), dailyUSD)) }
        if let monthlyUSD { all.append((BudgetName(period: .monthly), monthlyUSD)) }
        if let sessionUSD { all.append((BudgetName(period: .session), sessionUSD)) }
        for (project, budget) in projects.sorted(by: { $0.key < $1.key }) {
            if let daily = budget.dailyUSD { all.append((BudgetName(period: .daily, project: project), daily)) }
            if let monthly = budget.monthlyUSD { all.append((BudgetName(period: .monthly, project: project), monthly)) }
        }
        return all
    }

    /// The limit of `budget`, or nil when it is not set.
    public func limit(of budget: BudgetName) -> Double? {
        switch (budget.period, budget.project) {
        case (.daily, nil): dailyUSD
        case (.monthly, nil): monthlyUSD
        case (.session, _): sessionUSD
        case (.daily, let project?): projects[project]?.dailyUSD
        case (.monthly, let project?): projects[project]?.monthlyUSD
        }
    }

    /// Sets (or, with nil, clears) the limit of `budget`; a project left with no limit is removed.
    public mutating func setLimit(of budget: BudgetName, to usd: Double?) {
        switch (budget.period, budget.project) {
        case (.daily, nil): dailyUSD = usd
        case (.monthly, nil): monthlyUSD = usd
        case (.session, _): sessionUSD = usd
        case (.daily, let project?): projects[project, default: ProjectBudget()].dailyUSD = usd
        case (.monthly, let project?): projects[project, default: ProjectBudget()].monthlyUSD = usd
        }
        if let project = budget.project, projects[project] == ProjectBudget() { projects[project] = nil }
    }
}

/// The period a budget covers.
public enum BudgetPeriod: String, Sendable, Hashable, CaseIterable {
    /// The calendar day, local time.
    case daily
    /// The calendar month, local time.
    case monthly
    /// One Claude Code session, however long it runs.
    case session

    /// The key in `[budget]` (and `[budget.project."NAME"]`).
    public var key: String { "\(self == .daily ? "daily" : self == .monthly ? "monthly" : "session")_usd" }
}

/// One budget: a period, for everything or for one project.
public struct BudgetName: Sendable, Hashable, CustomStringConvertible {
    public var period: BudgetPeriod
    public var project: String?

    public init(period: BudgetPeriod, project: String? = nil) {
        self.period = period
        self.project = period == .session ? nil : project
    }

    /// `daily`, `monthly`, `session`, `project:billing-api:daily`: the metrics label and JSON name.
    public var label: String { project.map { "project:\($0):\(period.rawValue)" } ?? period.rawValue }

    /// `the daily budget`, `the monthly budget of project billing-api`.
    public var description: String {
        project.map { "the \(period.rawValue) budget of project \($0)" } ?? "the \(period.rawValue) budget"
    }

    /// The TOML table that holds the budget's key: `budget` or `budget.project."NAME"`.
    public var tablePath: [String] { project.map { ["budget", "project", $0] } ?? ["budget"] }

    /// `[budget]` or `[budget.project."billing-api"]`.
    public var tableHeader: String { project.map { "[budget.project.\(QuotedString.quote($0))]" } ?? "[budget]" }
}

extension BudgetConfig {
    /// The `[budget]` tables for `config show`, or nothing when no key differs from its default.
    func renderTOML() -> String {
        guard self != BudgetConfig() else { return "" }
        var text = "\n[\(DaemonConfig.budgetTableName)]\n"
        if let dailyUSD { text += "daily_usd = \(Self.amount(dailyUSD))\n" }
        if let monthlyUSD { text += "monthly_usd = \(Self.amount(monthlyUSD))\n" }
        if let sessionUSD { text += "session_usd = \(Self.amount(sessionUSD))\n" }
        text += "warn_at = \(warnAt)\nnotify = \(notify)\n"
        for (project, budget) in projects.sorted(by: { $0.key < $1.key }) {
            text += "\n[\(DaemonConfig.budgetTableName).project.\(QuotedString.quote(project))]\n"
            if let daily = budget.dailyUSD { text += "daily_usd = \(Self.amount(daily))\n" }
            if let monthly = budget.monthlyUSD { text += "monthly_usd = \(Self.amount(monthly))\n" }
        }
        return text
    }

    /// `20` for whole dollars, `7.5` otherwise: how an amount is written in TOML.
    public static func amount(_ usd: Double) -> String {
        usd == usd.rounded() && abs(usd) < 1e15 ? String(Int64(usd)) : "\(usd)"
    }
}
