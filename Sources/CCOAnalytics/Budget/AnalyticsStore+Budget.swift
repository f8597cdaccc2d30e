import CCOSQLite

/// The queries budgets are counted from.
extension AnalyticsStore {
    struct BudgetSpend {
        var day = 0.0
        var month = 0.0
        var projects: [String: (day: Double, month: Double)] = [:]
        var lastID: Int64 = 0
    }

    struct SessionSpend {
        var total = 0.0
        var project: String?
        var unassignedDay = 0.0
        var unassignedMonth = 0.0
    }

    struct CostRow {
        var id: Int64
        var timestamp: Int64
        var cost: Double
        var session: String?
        var project: String?
    }

    /// Since `monthStart` (the time index), in total and by project, and the last row's id.
    func budgetSpend(dayStart: Int64, monthStart: Int64) throws -> BudgetSpend {
        var spend = BudgetSpend()
        let rows = try connection.rows("""
            SELECT project, COALESCE(SUM(CASE WHEN ts_ms >= ? THEN cost_usd ELSE 0 END), 0), COALESCE(SUM(cost_usd), 0)
            FROM requests WHERE ts_ms >= ? GROUP BY project
            """, [.integer(dayStart), .integer(monthStart)])
        for row in rows {
            let day = row[1].double, month = row[2].double
            spend.day += day
            spend.month += month
            if row[0] != .null { spend.projects[row[0].text] = (day, month) }
        }
        spend.lastID = try connection.scalar("SELECT COALESCE(MAX(id), 0) FROM requests").map { Int64($0.int) } ?? 0
        return spend
    }

    /// One session's whole cost (the session index), its project, and what it spent since
    /// `dayStart` and `monthStart` in rows with no project yet.
    func sessionSpend(_ session: String, dayStart: Int64, monthStart: Int64) throws -> SessionSpend {
        let row = try connection.rows("""
            SELECT COALESCE(SUM(cost_usd), 0), MAX(project),
                COALESCE(SUM(CASE WHEN project IS NULL AND ts_ms >= ? THEN cost_usd ELSE 0 END), 0),
                COALESCE(SUM(CASE WHEN project IS NULL AND ts_ms >= ? THEN cost_usd ELSE 0 END), 0)
            FROM requests WHERE session_id = ?
            """, [.integer(dayStart), .integer(monthStart), .text(session)]).first ?? []
        guard row.count == 4 else { return SessionSpend() }
        return SessionSpend(total: row[0].double, project: row[1] == .null ? nil : row[1].text, unassignedDay: row[2].double, unassignedMonth: row[3].double)
    }

    /// Rows after `id` (the primary key), oldest first.
    func costs(afterID id: Int64) throws -> [CostRow] {
        try connection.rows("SELECT id, ts_ms, cost_usd, session_id, project FROM requests WHERE id > ? ORDER BY id", [.integer(id)]).map { row in
            CostRow(id: Int64(row[0].int), timestamp: Int64(row[1].int), cost: row[2].double, session: row[3] == .null ? nil : row[3].text, project: row[4] == .null ? nil : row[4].text)
        }
    }
}
