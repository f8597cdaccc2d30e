import CCOCore
import CCOSQLite
import Testing
@testable import CCOAnalytics

@Suite struct BudgetLedgerTests {
    /// Noon on 2026-12-02, local time: far from midnight and from the month's end.
    static let noon = BudgetWindows(containing: 1_796_212_800_000).dayStart + 12 * 3_600_000

    func call(_ cost: Double, at ts: Int64 = noon, session: String? = nil, project: String? = nil) -> RequestRecord {
        RequestRecord(timestampMilliseconds: ts, route: "/v1/messages", model: "m", status: 200, latencyMilliseconds: 1, costUSD: cost,
                      attribution: Attribution(session: session, project: project))
    }

    func budget(daily: Double? = nil, monthly: Double? = nil, session: Double? = nil, projects: [String: BudgetConfig.ProjectBudget] = [:]) -> BudgetConfig {
        var config = BudgetConfig()
        config.dailyUSD = daily
        config.monthlyUSD = monthly
        config.sessionUSD = session
        config.projects = projects
        return config
    }

    /// A ledger read from an empty database, as a daemon's is at start.
    func loaded(_ config: BudgetConfig, at now: Int64 = noon) throws -> BudgetLedger {
        let ledger = BudgetLedger(config: config, nowMilliseconds: now)
        try withInMemoryStore { try ledger.load(from: $0, nowMilliseconds: now) }
        return ledger
    }

    @Test func windowsAreTheLocalDayAndMonth() {
        let windows = BudgetWindows(containing: Self.noon)
        #expect(windows.nextDay - windows.dayStart == 86_400_000 || abs(windows.nextDay - windows.dayStart - 86_400_000) == 3_600_000)
        #expect(LocalTime.minute(windows.dayStart) == "2026-12-02 00:00")
        #expect(LocalTime.minute(windows.nextDay) == "2026-12-03 00:00")
        #expect(LocalTime.minute(windows.monthStart) == "2026-12-01 00:00")
        #expect(LocalTime.minute(windows.nextMonth) == "2027-01-01 00:00", "December rolls into the next year")
    }

    @Test func aCallIsRefusedOnceTheSpendReachesTheLimitAndNotBefore() throws {
        let ledger = try loaded(budget(daily: 1), at: Self.noon)
        ledger.record(call(0.6), nowMilliseconds: Self.noon)
        #expect(ledger.check(session: nil, project: nil, nowMilliseconds: Self.noon) == nil)
        ledger.record(call(0.4), nowMilliseconds: Self.noon)
        let refusal = ledger.check(session: nil, project: nil, nowMilliseconds: Self.noon)
        #expect(refusal?.budget == BudgetName(period: .daily) && refusal?.spentUSD == 1.0 && refusal?.limitUSD == 1)
        #expect(refusal?.resetsAtMilliseconds == BudgetWindows(containing: Self.noon).nextDay)
        #expect(ledger.refusals == 1)
        #expect(refusal?.message.hasPrefix("cco: the daily budget of $1.00 is spent ($1.00 today); it resets at 2026-12-03 00:00, or raise it with `cco budget set daily AMOUNT`") == true)
    }

    @Test func theNextDayStartsFromNothingButTheMonthGoesOn() throws {
        let ledger = try loaded(budget(daily: 1, monthly: 1.5), at: Self.noon)
        ledger.record(call(1), nowMilliseconds: Self.noon)
        #expect(ledger.check(session: nil, project: nil, nowMilliseconds: Self.noon)?.budget.period == .daily)
        let tomorrow = Self.noon + 86_400_000
        #expect(ledger.check(session: nil, project: nil, nowMilliseconds: tomorrow) == nil)
        ledger.record(call(0.5, at: tomorrow), nowMilliseconds: tomorrow)
        #expect(ledger.check(session: nil, project: nil, nowMilliseconds: tomorrow)?.budget.period == .monthly)
        // A call that arrived before midnight and ended after it counts for the day it arrived.
        let ledger2 = try loaded(budget(daily: 1), at: tomorrow)
        ledger2.record(call(5, at: Self.noon), nowMilliseconds: tomorrow)
        #expect(ledger2.check(session: nil, project: nil, nowMilliseconds: tomorrow) == nil)
    }

    @Test func warningsComeOnceAtWarnAtAndOnceAtTheLimit() throws {
        let ledger = try loaded(budget(daily: 10), at: Self.noon)
        #expect(ledger.record(call(5), nowMilliseconds: Self.noon) == [])
        let warned = try #require(ledger.record(call(3.5), nowMilliseconds: Self.noon))
        #expect(warned.map(\.reachedLimit) == [false])
        #expect(warned.first?.message == "budget: 85% of the daily budget of $10.00 is spent ($8.50)")
        #expect(ledger.record(call(0.5), nowMilliseconds: Self.noon) == [], "past warn_at already")
        #expect(ledger.record(call(2), nowMilliseconds: Self.noon)?.map(\.reachedLimit) == [true])
        #expect(ledger.record(call(2), nowMilliseconds: Self.noon) == [], "past the limit already")
    }

    @Test func sessionAndProjectBudgetsApplyOnlyToTheirCalls() throws {
        let ledger = try loaded(budget(session: 1, projects: ["api": .init(dailyUSD: 2)]))
        ledger.assignEmptySession("s1")
        ledger.record(call(1, session: "s1"), nowMilliseconds: Self.noon)
        #expect(ledger.check(session: "s1", project: nil, nowMilliseconds: Self.noon)?.budget.period == .session)
        ledger.assignEmptySession("s2")
        #expect(ledger.check(session: "s2", project: nil, nowMilliseconds: Self.noon) == nil)
        ledger.record(call(0.9, session: "s2", project: "api"), nowMilliseconds: Self.noon)
        ledger.assignEmptySession("s3")
        ledger.record(call(0.9, session: "s3", project: "api"), nowMilliseconds: Self.noon)
        ledger.assignEmptySession("s4")
        ledger.record(call(0.5, session: "s4"), nowMilliseconds: Self.noon)
        #expect(ledger.check(session: "s4", project: nil, nowMilliseconds: Self.noon) == nil, "s4 has no project yet")
        // Its transcript names the project: what it spent counts for the project now.
        ledger.assign(project: "api", toSession: "s4")
        let refusal = ledger.check(session: "s4", project: nil, nowMilliseconds: Self.noon)
        #expect(refusal?.budget == BudgetName(period: .daily, project: "api"))
        #expect(refusal?.spentUSD == 2.3)
        #expect(ledger.check(session: "s5", project: "web", nowMilliseconds: Self.noon) == nil)
    }

    @Test func whatWasSpentIsReadFromTheDatabase() async throws {
        try await withDatabasePath { path in
            let store = try AnalyticsStore(path: path)
            let windows = BudgetWindows(containing: Self.noon)
            try store.write([
                call(0.25, session: "s1"), call(0.5, session: "s1", project: "api"), call(1, at: windows.monthStart + 1000),
                call(7, at: windows.monthStart - 1000),
            ], projects: [])
            let ledger = BudgetLedger(config: budget(daily: 10, monthly: 100, session: 3, projects: ["api": .init(dailyUSD: 1)]), nowMilliseconds: Self.noon)
            try ledger.load(from: store, nowMilliseconds: Self.noon)
            #expect(ledger.needsSession("s1"))
            try ledger.loadSession("s1", from: store, nowMilliseconds: Self.noon)
            #expect(!ledger.needsSession("s1"))
            let spent = Dictionary(uniqueKeysWithValues: ledger.statuses(session: "s1", nowMilliseconds: Self.noon).map { ($0.budget, $0.spentUSD) })
            #expect(spent == ["daily": 0.75, "monthly": 1.75, "session": 0.75, "project:api:daily": 0.5])
        }
    }

    @Test func rowsOtherProcessesWriteAreCountedAndOwnRowsNotTwice() async throws {
        try await withDatabasePath { path in
            let store = try AnalyticsStore(path: path)
            let ledger = BudgetLedger(config: budget(daily: 10), nowMilliseconds: Self.noon)
            try ledger.load(from: store, nowMilliseconds: Self.noon)
            // This process: counted when recorded, then written.
            var own = call(1)
            own.countedInBudget = ledger.record(own, nowMilliseconds: Self.noon) != nil
            ledger.wrote([own], ids: try #require(try store.write([own], projects: [])))
            // Another process (a replaced daemon finishing its streams) writes to the same file.
            let other = try AnalyticsStore(path: path)
            try other.write([call(2), call(0.5)], projects: [])
            try ledger.catchUp(from: store, nowMilliseconds: Self.noon)
            try ledger.catchUp(from: store, nowMilliseconds: Self.noon)
            #expect(ledger.totals(nowMilliseconds: Self.noon).day == 3.5)
        }
    }

    @Test func aCallAnsweredBeforeTheLedgerWasReadIsCountedFromTheDatabase() async throws {
        try await withDatabasePath { path in
            let store = try AnalyticsStore(path: path)
            let ledger = BudgetLedger(config: budget(daily: 10), nowMilliseconds: Self.noon)
            var early = call(1)
            #expect(ledger.record(early, nowMilliseconds: Self.noon) == nil, "not read yet: nothing counted")
            early.countedInBudget = false
            try ledger.load(from: store, nowMilliseconds: Self.noon)
            // Written after the ledger was read (it sat in the writer's queue meanwhile).
            ledger.wrote([early], ids: try #require(try store.write([early], projects: [])))
            try ledger.catchUp(from: store, nowMilliseconds: Self.noon)
            #expect(ledger.totals(nowMilliseconds: Self.noon).day == 1)
        }
    }
}

extension BudgetLedger {
    /// A session with nothing spent before, as `loadSession` finds a new one.
    func assignEmptySession(_ session: String) {
        try? withInMemoryStore { store in try loadSession(session, from: store, nowMilliseconds: BudgetLedgerTests.noon) }
    }
}

func withInMemoryStore(_ body: (AnalyticsStore) throws -> Void) throws {
    try body(try AnalyticsStore(path: ":memory:"))
}
