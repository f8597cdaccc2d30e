public import CCOCore
import CCOSQLite
import Synchronization

/// What each budget has spent, kept in memory so that the gateway can refuse a call before it is
/// forwarded: loaded from the analytics database at start (so a restart or a crash resets
/// nothing), added to as each call is recorded, and fed the rows other processes write to the same
/// database (a daemon replaced by `restart` finishing its streams).
///
/// A call is counted in the windows of the moment it arrived, as the database's queries count it.
public final class BudgetLedger: Sendable {
    struct Amounts: Hashable {
        var day = 0.0
        var month = 0.0
    }

    /// One Claude Code session: its whole cost, its project once known, and what it spent in the
    /// current windows before its project was known (moved to the project when it is found).
    struct Session {
        var total = 0.0
        var project: String?
        var unassigned = Amounts()
        var lastSeen: Int64 = 0
    }

    struct State {
        var config: BudgetConfig
        var windows: BudgetWindows
        var all = Amounts()
        var projects: [String: Amounts] = [:]
        var sessions: [String: Session] = [:]
        /// Rows up to this id are counted.
        var countedThroughID: Int64 = 0
        /// Rows this process wrote, counted when recorded: not counted again when read back.
        var ownRows: [ClosedRange<Int64>] = []
        var refusals = 0
        var loaded = false
    }

    private let state: Mutex<State>

    public init(config: BudgetConfig, nowMilliseconds: Int64 = WallClock.nowMilliseconds()) {
        state = Mutex(State(config: config, windows: BudgetWindows(containing: nowMilliseconds)))
    }

    /// Whether what was spent has been read from the database.
    public var isLoaded: Bool { state.withLock { $0.loaded } }

    /// Whether any budget is set; with none, the gateway checks nothing.
    public var isActive: Bool { state.withLock { $0.config.hasLimits } }

    /// A reload: new limits apply to the next call; what was spent stays.
    public func apply(_ config: BudgetConfig) {
        state.withLock { $0.config = config }
    }

    public var config: BudgetConfig { state.withLock { $0.config } }

    /// Calls refused since the daemon started.
    public var refusals: Int { state.withLock { $0.refusals } }

    /// Sessions are followed only for a session budget, or for project budgets (a session's
    /// project may be found after its first calls).
    private static func followsSessions(_ config: BudgetConfig) -> Bool {
        config.sessionUSD != nil || !config.projects.isEmpty
    }

    // MARK: - Loading from the database

    /// Counts every row of the current month, by project, and remembers the last row counted.
    public func load(from store: AnalyticsStore, nowMilliseconds now: Int64 = WallClock.nowMilliseconds()) throws {
        let windows = BudgetWindows(containing: now)
        let spend = try store.budgetSpend(dayStart: windows.dayStart, monthStart: windows.monthStart)
        state.withLock { state in
            state.windows = windows
            state.all = Amounts(day: spend.day, month: spend.month)
            state.projects = spend.projects.mapValues { Amounts(day: $0.day, month: $0.month) }
            state.sessions = [:]
            state.countedThroughID = spend.lastID
            state.ownRows = []
            state.loaded = true
        }
    }

    /// Whether `session` must be read from the database before a call of it is checked.
    public func needsSession(_ session: String?) -> Bool {
        guard let session else { return false }
        return state.withLock { Self.followsSessions($0.config) && $0.sessions[session] == nil }
    }

    /// Reads `session`'s spend: its total, its project, and what it spent in the current windows
    /// with no project yet.
    public func loadSession(_ session: String, from store: AnalyticsStore, nowMilliseconds now: Int64 = WallClock.nowMilliseconds()) throws {
        let windows = state.withLock { state in
            Self.roll(&state, to: now)
            return state.windows
        }
        let spend = try store.sessionSpend(session, dayStart: windows.dayStart, monthStart: windows.monthStart)
        state.withLock { state in
            // Another call of the session may have loaded it meanwhile, and counted since.
            guard state.sessions[session] == nil else { return }
            state.sessions[session] = Session(total: spend.total, project: spend.project,
                                              unassigned: Amounts(day: spend.unassignedDay, month: spend.unassignedMonth), lastSeen: now)
            Self.prune(&state, now: now)
        }
    }

    // MARK: - Checking and counting

    /// The first budget a new call would overrun, or nil when it may go ahead.
    public func check(session: String?, project: String?, nowMilliseconds now: Int64 = WallClock.nowMilliseconds()) -> BudgetRefusal? {
        state.withLock { state -> BudgetRefusal? in
            guard state.config.hasLimits else { return nil }
            Self.roll(&state, to: now)
            let project = project ?? session.flatMap { state.sessions[$0]?.project }
            for (budget, limit) in state.config.limits where Self.applies(budget, session: session, project: project) {
                let spent = Self.amount(of: budget, state, session: session)
                if spent >= limit {
                    state.refusals += 1
                    return BudgetRefusal(budget: budget, limitUSD: limit, spentUSD: spent,
                                         resetsAtMilliseconds: state.windows.reset(of: budget.period), session: session)
                }
            }
            return nil
        }
    }

    /// Counts a call this process answered.
    ///
    /// - Returns: the budgets whose warning share or limit this call crossed, once each; nil when
    ///   nothing was counted because the ledger has not been read from the database yet (the row
    ///   is counted when it is read back from there).
    @discardableResult
    public func record(_ row: RequestRecord, nowMilliseconds now: Int64 = WallClock.nowMilliseconds()) -> [BudgetCrossing]? {
        state.withLock { state -> [BudgetCrossing]? in
            guard state.loaded else { return nil }
            guard row.costUSD > 0 else { return [] }
            Self.roll(&state, to: now)
            let before = Self.spent(state, session: row.attribution.session, project: row.attribution.project)
            Self.count(&state, cost: row.costUSD, at: row.timestampMilliseconds, session: row.attribution.session,
                       project: row.attribution.project, now: now)
            let after = Self.spent(state, session: row.attribution.session, project: row.attribution.project)
            var crossings: [BudgetCrossing] = []
            for (budget, limit) in state.config.limits {
                guard let was = before[budget], let now = after[budget], limit > 0 else { continue }
                let warnAt = state.config.warnAt
                if was < limit, now >= limit {
                    crossings.append(BudgetCrossing(budget: budget, limitUSD: limit, spentUSD: now, reachedLimit: true))
                } else if was < limit * warnAt, now >= limit * warnAt, now < limit {
                    crossings.append(BudgetCrossing(budget: budget, limitUSD: limit, spentUSD: now, reachedLimit: false))
                }
            }
            return crossings
        }
    }

    /// Notes which rows this process just wrote: `batch` was given the ids of `ids`, in order, and
    /// those counted when recorded are not counted again.
    public func wrote(_ batch: [RequestRecord], ids: ClosedRange<Int64>) {
        state.withLock { state in
            for (id, row) in zip(ids, batch) where row.countedInBudget {
                if let last = state.ownRows.last, last.upperBound == id - 1 {
                    state.ownRows[state.ownRows.count - 1] = last.lowerBound ... id
                } else {
                    state.ownRows.append(id ... id)
                }
            }
        }
    }

    /// A session's project, found after some of its calls were counted without one.
    public func assign(project: String, toSession session: String) {
        state.withLock { state in
            guard var entry = state.sessions[session], entry.project == nil else { return }
            entry.project = project
            state.projects[project, default: Amounts()].day += entry.unassigned.day
            state.projects[project, default: Amounts()].month += entry.unassigned.month
            entry.unassigned = Amounts()
            state.sessions[session] = entry
        }
    }

    /// Counts the rows other processes wrote since the last call (this process's own are skipped).
    public func catchUp(from store: AnalyticsStore, nowMilliseconds now: Int64 = WallClock.nowMilliseconds()) throws {
        let after = state.withLock { $0.loaded ? $0.countedThroughID : nil }
        guard let after else { return }
        let rows = try store.costs(afterID: after)
        state.withLock { state in
            Self.roll(&state, to: now)
            for row in rows {
                if !state.ownRows.contains(where: { $0.contains(row.id) }) {
                    Self.count(&state, cost: row.cost, at: row.timestamp, session: row.session, project: row.project, now: now)
                }
                state.countedThroughID = max(state.countedThroughID, row.id)
            }
            let through = state.countedThroughID
            state.ownRows.removeAll { $0.upperBound <= through }
        }
    }

    // MARK: - Reading

    /// Every budget with its limit, what it has spent, what is left and when it starts again; the
    /// session budget for `session` (or with nothing spent when no session is named).
    public func statuses(session: String?, nowMilliseconds now: Int64 = WallClock.nowMilliseconds()) -> [BudgetStatus] {
        state.withLock { state in
            Self.roll(&state, to: now)
            return state.config.limits.map { budget, limit in
                let spent = Self.amount(of: budget, state, session: session)
                return BudgetStatus(budget: budget, limitUSD: limit, spentUSD: spent, resetsAtMilliseconds: state.windows.reset(of: budget.period),
                                    session: budget.period == .session ? session : nil)
            }
        }
    }

    /// Today's and this month's spend, whether or not a budget is set.
    public func totals(nowMilliseconds now: Int64 = WallClock.nowMilliseconds()) -> (day: Double, month: Double) {
        state.withLock { state in
            Self.roll(&state, to: now)
            return (state.all.day, state.all.month)
        }
    }

    // MARK: - Internals

    private static func count(_ state: inout State, cost: Double, at timestamp: Int64, session: String?, project: String?, now: Int64) {
        guard cost != 0 else { return }
        let inMonth = timestamp >= state.windows.monthStart
        let inDay = timestamp >= state.windows.dayStart
        if inMonth { state.all.month += cost }
        if inDay { state.all.day += cost }
        var project = project
        if let session, var entry = state.sessions[session] {
            entry.total += cost
            entry.lastSeen = now
            if project == nil { project = entry.project }
            if project == nil {
                if inMonth { entry.unassigned.month += cost }
                if inDay { entry.unassigned.day += cost }
            } else if entry.project == nil {
                entry.project = project
            }
            state.sessions[session] = entry
        }
        if let project {
            if inMonth { state.projects[project, default: Amounts()].month += cost }
            if inDay { state.projects[project, default: Amounts()].day += cost }
        }
    }

    /// What each budget that `session` and `project` fall under has spent.
    private static func spent(_ state: State, session: String?, project: String?) -> [BudgetName: Double] {
        let project = project ?? session.flatMap { state.sessions[$0]?.project }
        var spent: [BudgetName: Double] = [:]
        for (budget, _) in state.config.limits where applies(budget, session: session, project: project) {
            spent[budget] = amount(of: budget, state, session: session)
        }
        return spent
    }

    /// Whether a call of `session` in `project` falls under `budget`: a session budget needs a
    /// session, a project budget that project.
    private static func applies(_ budget: BudgetName, session: String?, project: String?) -> Bool {
        switch (budget.period, budget.project) {
        case (.session, _): session != nil
        case (_, nil): true
        case (_, let name?): name == project
        }
    }

    /// What `budget` has spent in the current windows (a session budget: `session`'s whole cost).
    private static func amount(of budget: BudgetName, _ state: State, session: String?) -> Double {
        switch (budget.period, budget.project) {
        case (.session, _): session.flatMap { state.sessions[$0]?.total } ?? 0
        case (.daily, nil): state.all.day
        case (.monthly, nil): state.all.month
        case (.daily, let name?): state.projects[name]?.day ?? 0
        case (.monthly, let name?): state.projects[name]?.month ?? 0
        }
    }

    /// A new day (or month) starts from nothing: calls count in the windows they arrived in.
    private static func roll(_ state: inout State, to now: Int64) {
        guard now >= state.windows.nextDay || now < state.windows.dayStart else { return }
        let next = BudgetWindows(containing: now)
        let newMonth = next.monthStart != state.windows.monthStart
        state.windows = next
        state.all.day = 0
        if newMonth { state.all.month = 0 }
        for name in state.projects.keys {
            state.projects[name]?.day = 0
            if newMonth { state.projects[name]?.month = 0 }
        }
        for id in state.sessions.keys {
            state.sessions[id]?.unassigned.day = 0
            if newMonth { state.sessions[id]?.unassigned.month = 0 }
        }
    }

    /// Sessions quiet for a day are forgotten (read again from the database if they come back).
    private static func prune(_ state: inout State, now: Int64) {
        guard state.sessions.count > 10_000 else { return }
        state.sessions = state.sessions.filter { now - $0.value.lastSeen < 86_400_000 }
    }
}

/// Why a call is refused: the budget it would overrun.
public struct BudgetRefusal: Sendable, Hashable {
    public let budget: BudgetName
    public let limitUSD: Double
    public let spentUSD: Double
    /// Nil for a session budget, which never starts again.
    public let resetsAtMilliseconds: Int64?
    public let session: String?
}

/// A budget whose warning share (`warn_at`) or limit a call just crossed.
public struct BudgetCrossing: Sendable, Hashable {
    public let budget: BudgetName
    public let limitUSD: Double
    public let spentUSD: Double
    public let reachedLimit: Bool
}

/// One budget as `cco budget` and `/api/budget` show it.
public struct BudgetStatus: Sendable, Hashable, Codable {
    public let budget: String
    public let period: String
    public let project: String?
    public let session: String?
    public let limitUSD: Double
    public let spentUSD: Double
    public let leftUSD: Double
    /// Local time, `2026-12-03 00:00`; nil for a session budget.
    public let resetsAt: String?
    public let resetsAtMilliseconds: Int64?

    enum CodingKeys: String, CodingKey {
        case budget, period, project, session
        case limitUSD = "limit_usd", spentUSD = "spent_usd", leftUSD = "left_usd"
        case resetsAt = "resets_at", resetsAtMilliseconds = "resets_at_ms"
    }

    public init(budget: BudgetName, limitUSD: Double, spentUSD: Double, resetsAtMilliseconds: Int64?, session: String?) {
        self.budget = budget.label
        period = budget.period.rawValue
        project = budget.project
        self.session = session
        self.limitUSD = limitUSD
        self.spentUSD = spentUSD
        leftUSD = max(0, limitUSD - spentUSD)
        self.resetsAtMilliseconds = resetsAtMilliseconds
        resetsAt = resetsAtMilliseconds.map(LocalTime.minute)
    }

    public var isSpent: Bool { spentUSD >= limitUSD }
}
