public import CCOSQLite
import CCOCore

/// The analytics database: its schema, batched inserts, retention and the stats queries.
///
/// Owns one ``Connection``, so it is not Sendable: ``AnalyticsWriter`` keeps it behind a lock and
/// uses it from a thread pool; `cco stats` uses its own, read-only.
public final class AnalyticsStore {
    public let connection: Connection
    /// The writer's statements, prepared once: preparing the insert and the rate-limit statements
    /// anew for every batch cost more than binding and stepping its rows. Released with the store,
    /// before the connection they hold.
    private var prepared = PreparedStatements()

    private struct PreparedStatements {
        /// By the number of rows each inserts (one of ``AnalyticsStore/rowsPerInsert``).
        var inserts: [Int: Statement] = [:]
        var clearRateLimits: Statement?
        var insertRateLimit: Statement?
    }

    /// Closes the connection, its prepared statements first.
    public func close() throws {
        prepared = PreparedStatements()
        try connection.close()
    }

    /// `prepared[keyPath: which]`, prepared from `sql` the first time.
    private func statement(_ which: WritableKeyPath<PreparedStatements, Statement?>, _ sql: String) throws(SQLiteError) -> Statement {
        if let statement = prepared[keyPath: which] { return statement }
        let statement = try connection.makeStatement(sql: sql)
        prepared[keyPath: which] = statement
        return statement
    }

    static let migrator = Migrator([
        .init(version: 1, sql: """
            CREATE TABLE requests (
                id INTEGER PRIMARY KEY,
                ts_ms INTEGER NOT NULL,
                route TEXT NOT NULL,
                model TEXT,
                status INTEGER NOT NULL,
                latency_ms REAL NOT NULL,
                input_tokens INTEGER NOT NULL DEFAULT 0,
                output_tokens INTEGER NOT NULL DEFAULT 0,
                cache_read_tokens INTEGER NOT NULL DEFAULT 0,
                cache_write_tokens INTEGER NOT NULL DEFAULT 0,
                cache_hit INTEGER NOT NULL DEFAULT 0,
                streamed INTEGER NOT NULL DEFAULT 0,
                cost_usd REAL NOT NULL DEFAULT 0,
                saved_usd REAL NOT NULL DEFAULT 0,
                priced INTEGER NOT NULL DEFAULT 1,
                client TEXT
            );
            CREATE INDEX requests_by_time ON requests(ts_ms);
            """),
        // Every usage field, and who made the call. `cache_write_tokens` holds 5-minute writes
        // (rows before this version were priced as such), `cache_write_1h_tokens` 1-hour ones.
        // The session and project indexes leave out rows without one, and hold no time: rows of
        // one session are in rowid order, which is arrival order, so an insert appends to them
        // instead of seeking into the middle of a (session, time) index.
        .init(version: 2, sql: """
            ALTER TABLE requests ADD COLUMN cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE requests ADD COLUMN web_search_requests INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE requests ADD COLUMN service_tier TEXT;
            ALTER TABLE requests ADD COLUMN long_context INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE requests ADD COLUMN incomplete INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE requests ADD COLUMN session_id TEXT;
            ALTER TABLE requests ADD COLUMN agent_id TEXT;
            ALTER TABLE requests ADD COLUMN parent_agent_id TEXT;
            ALTER TABLE requests ADD COLUMN client_name TEXT;
            ALTER TABLE requests ADD COLUMN client_version TEXT;
            ALTER TABLE requests ADD COLUMN request_id TEXT;
            ALTER TABLE requests ADD COLUMN project TEXT;
            CREATE INDEX requests_by_session ON requests(session_id) WHERE session_id IS NOT NULL;
            CREATE INDEX requests_by_project ON requests(project) WHERE project IS NOT NULL;
            CREATE TABLE rate_limits (name TEXT PRIMARY KEY, value TEXT NOT NULL, ts_ms INTEGER NOT NULL);
            """),
    ])

    /// The schema version this build writes; `cco stats` reads older files too.
    public static var schemaVersion: Int { migrator.migrations.count }

    /// Opens (creating and migrating when needed) the database at `path`, or `:memory:`.
    public init(path: String) throws {
        connection = try Connection(path: path)
        try Self.migrator.migrate(connection)
        connection.checkpointAutomatically(atPages: Self.checkpointPagesUnderLoad)
        try connection.execute("PRAGMA journal_size_limit=\(Self.keptLogBytes)")
    }

    /// What the write-ahead log's file is cut back to when SQLite starts it over after a whole
    /// checkpoint: a log that grew towards ``checkpointPagesUnderLoad`` under a steady load does
    /// not keep its ~32 MB on disk (SQLite's default keeps the largest size the file reached).
    public static let keptLogBytes = 4 << 20

    /// Pages of write-ahead log past which a commit folds the log back into the database file
    /// whatever the load (~32 MB of log). The analytics writer folds it sooner, once calls stop
    /// coming for a moment (`Connection.checkpoint()`): a checkpoint syncs the log and the file to disk, and
    /// made in the commit that passed SQLite's own bound of 1000 pages, every few seconds under a
    /// steady load, its disk work showed in the 99th percentile of the calls answered meanwhile.
    public static let checkpointPagesUnderLoad = 8000

    /// Pages of write-ahead log not yet folded back into the database file, as of the last commit.
    public var logPages: Int { connection.logPages }

    /// Opens an existing database without writing to it (for `cco stats` with no daemon running).
    /// A file an older cco wrote is brought to the current schema first (no daemon holds it).
    /// What `cco doctor` says of a database file: SQLite's own `PRAGMA integrity_check` (`ok`, or
    /// its first complaints) and the schema version, read without changing anything.
    public static func inspect(_ path: String) throws -> (integrity: String, version: Int) {
        let connection = try Connection(path: path, walMode: false, readOnly: true)
        let version = try connection.userVersion
        let rows = try connection.rows("PRAGMA integrity_check(5)")
        return (rows.map { $0.first?.text ?? "" }.joined(separator: "; "), version)
    }

    public init(readingExisting path: String) throws {
        var connection = try Connection(path: path, walMode: false, readOnly: true)
        let version = try connection.userVersion
        guard version >= 1 else {
            throw SQLiteError(extendedCode: 1, message: "\(path) holds no cco analytics (schema version 0)", sql: nil)
        }
        if version < Self.schemaVersion {
            try Self.migrator.migrate(try Connection(path: path))
            connection = try Connection(path: path, walMode: false, readOnly: true)
        }
        self.connection = connection
    }

    /// Inserts `records` in one transaction.
    public func insert(_ records: [RequestRecord]) throws {
        guard !records.isEmpty else { return }
        try connection.transaction { try insertRows(records) }
    }

    /// In one transaction: inserts `records`, gives the earlier calls of each session in
    /// `projects` that project, and keeps the latest rate-limit headers of `records`.
    ///
    /// - Parameter betweenStatements: called between the INSERT statements of the rows (each of
    ///   up to 16 rows, ``rowsPerInsert``): the analytics writer's background thread gives way to
    ///   other threads there.
    /// - Returns: the ids the rows were given (consecutive: the transaction holds the write lock).
    @discardableResult
    public func write(_ records: [RequestRecord], projects: [(session: String, project: String)],
                      betweenStatements: () -> Void = {}) throws -> ClosedRange<Int64>? {
        guard !records.isEmpty else { return nil }
        return try connection.transaction {
            try insertRows(records, betweenStatements: betweenStatements)
            let last = connection.lastInsertRowID
            for (session, project) in projects { try assignProject(project, toSession: session) }
            if let latest = records.last(where: { !$0.rateLimits.isEmpty }) {
                try recordRateLimits(latest.rateLimits, atMilliseconds: latest.timestampMilliseconds)
            }
            return last - Int64(records.count) + 1 ... last
        }
    }

    /// The rows one INSERT statement takes: a batch goes 16 rows to a statement, and what is left
    /// by statements of 8, 4, 2 and 1. (With a statement for every row, the statement's own work,
    /// its start, its cursors on the table and its indexes, its end, was a quarter of a row's cost.)
    static let rowsPerInsert = [16, 8, 4, 2, 1]

    static let insertedColumns = """
        ts_ms, route, model, status, latency_ms, input_tokens, output_tokens, cache_read_tokens,
        cache_write_tokens, cache_hit, streamed, cost_usd, saved_usd, priced, client, cache_write_1h_tokens,
        web_search_requests, service_tier, long_context, incomplete, session_id, agent_id, parent_agent_id,
        client_name, client_version, request_id, project
        """

    /// The prepared INSERT of `rows` rows.
    private func insertStatement(rows: Int) throws(SQLiteError) -> Statement {
        if let statement = prepared.inserts[rows] { return statement }
        let columns = Self.insertedColumns.split(separator: ",").count
        let values = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        let statement = try connection.makeStatement(sql: "INSERT INTO requests (\(Self.insertedColumns)) VALUES "
            + Array(repeating: values, count: rows).joined(separator: ", "))
        prepared.inserts[rows] = statement
        return statement
    }

    private func insertRows(_ records: [RequestRecord], betweenStatements: () -> Void = {}) throws {
        var next = 0
        while next < records.count {
            let rows = Self.rowsPerInsert.first { $0 <= records.count - next } ?? 1
            if next > 0 { betweenStatements() }
            try insertStatement(rows: rows).run { row in
                for record in records[next ..< next + rows] { Self.bind(record, to: &row) }
            }
            next += rows
        }
    }

    /// Binds the values of `r`, in the order of ``insertedColumns``.
    private static func bind(_ r: RequestRecord, to row: inout Statement.Bindings) {
        let a = r.attribution
        row.bind(r.timestampMilliseconds); row.bind(r.route); row.bind(r.model)
        row.bind(r.status); row.bind(r.latencyMilliseconds); row.bind(r.usage.input)
        row.bind(r.usage.output); row.bind(r.usage.cacheRead); row.bind(r.usage.cacheWrite)
        row.bind(r.cacheHit); row.bind(r.streamed); row.bind(r.costUSD); row.bind(r.savedUSD)
        row.bind(r.priced); row.bind(r.client)
        row.bind(r.usage.cacheWrite1h); row.bind(r.usage.webSearchRequests); row.bind(r.serviceTier)
        row.bind(r.longContext); row.bind(r.incomplete); row.bind(a.session); row.bind(a.agent)
        row.bind(a.parentAgent); row.bind(a.clientName); row.bind(a.clientVersion); row.bind(r.requestID); row.bind(a.project)
    }

    /// Deletes rows older than `milliseconds` since the epoch, the oldest first, at most `limit`.
    ///
    /// - Returns: the number of rows deleted.
    @discardableResult
    public func deleteRows(before milliseconds: Int64, limit: Int) throws -> Int {
        try connection.run("DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE ts_ms < ? ORDER BY ts_ms LIMIT ?)",
                           [.integer(milliseconds), .integer(Int64(limit))])
    }

    /// The number of rows (for tests and the loss check).
    public func rowCount() throws -> Int {
        if case .integer(let n)? = try connection.scalar("SELECT COUNT(*) FROM requests") { return Int(n) }
        return 0
    }

    /// A cheap read that proves the database answers.
    public func ping() throws {
        _ = try connection.scalar("SELECT COUNT(*) FROM sqlite_master")
    }

    /// Tokens count what the upstream billed: a cache hit's tokens are in `saved_usd`, not here.
    private func billed(_ column: String) -> String { "SUM(CASE WHEN cache_hit = 0 THEN \(column) ELSE 0 END)" }

    /// Totals for `range`, grouped by `groupBy`.
    public func stats(range: StatsRange, groupBy: StatsGrouping, nowMilliseconds: Int64) throws -> StatsReport {
        try stats(StatsFilter(range: range), groupBy: groupBy, nowMilliseconds: nowMilliseconds)
    }

    /// Totals of the calls `filter` covers, grouped by `groupBy`, with the latest rate-limit headers.
    public func stats(_ filter: StatsFilter, groupBy: StatsGrouping, nowMilliseconds: Int64) throws -> StatsReport {
        let (condition, values) = filter.condition(nowMilliseconds: nowMilliseconds)
        let rows = try connection.rows("""
            SELECT \(groupBy.sqlKey), COUNT(*), SUM(cache_hit), SUM(status >= 400), \(billed("input_tokens")), \(billed("output_tokens")),
                   \(billed("cache_read_tokens")), \(billed("cache_write_tokens")), SUM(cost_usd), SUM(saved_usd),
                   SUM(priced = 0), AVG(latency_ms), \(billed("cache_write_1h_tokens")), \(billed("web_search_requests")), SUM(incomplete)
            FROM requests WHERE \(condition) GROUP BY 1 ORDER BY 1
            """, values)
        let groups = rows.map { row in
            var totals = StatsTotals()
            totals.requests = row[1].int
            totals.cacheHits = row[2].int
            totals.errors = row[3].int
            totals.inputTokens = row[4].int
            totals.outputTokens = row[5].int
            totals.cacheReadTokens = row[6].int
            totals.cacheWriteTokens = row[7].int
            totals.costUSD = row[8].double
            totals.savedUSD = row[9].double
            totals.unpriced = row[10].int
            totals.averageLatencyMilliseconds = row[11].double
            totals.cacheWrite1hTokens = row[12].int
            totals.webSearchRequests = row[13].int
            totals.incomplete = row[14].int
            return StatsGroup(key: row[0].text, totals: totals)
        }
        var report = StatsReport(filter: filter, groupBy: groupBy, nowMilliseconds: nowMilliseconds, groups: groups)
        let limits = try connection.rows("SELECT name, value, ts_ms FROM rate_limits ORDER BY name")
        if !limits.isEmpty {
            report.rateLimits = Dictionary(limits.map { ($0[0].text, $0[1].text) }) { _, last in last }
            report.rateLimitsAtMilliseconds = limits.map { Int64($0[2].int) }.max()
        }
        return report
    }

    /// The Claude Code sessions `filter` covers, the most recent first.
    public func sessions(_ filter: StatsFilter, limit: Int, nowMilliseconds: Int64) throws -> SessionList {
        let (condition, values) = filter.condition(nowMilliseconds: nowMilliseconds)
        let rows = try connection.rows("""
            SELECT session_id, MAX(project), MIN(ts_ms), MAX(ts_ms), GROUP_CONCAT(DISTINCT model), COUNT(*), SUM(cost_usd), SUM(priced = 0)
            FROM requests WHERE session_id IS NOT NULL AND \(condition) GROUP BY session_id ORDER BY MAX(ts_ms) DESC LIMIT ?
            """, values + [.integer(Int64(limit))])
        let sessions = rows.map { row in
            SessionSummary(session: row[0].text, project: row[1] == .null ? nil : row[1].text,
                           firstMilliseconds: Int64(row[2].int), lastMilliseconds: Int64(row[3].int),
                           models: row[4].text.split(separator: ",").map(String.init).sorted(),
                           calls: row[5].int, costUSD: row[6].double, unpriced: row[7].int)
        }
        return SessionList(sinceMilliseconds: filter.start(nowMilliseconds: nowMilliseconds), sessions: sessions)
    }

    /// Records the latest `anthropic-ratelimit-unified-*` headers (names without the prefix): one
    /// response's headers replace the previous response's.
    private func recordRateLimits(_ limits: [RateLimitHeader], atMilliseconds milliseconds: Int64) throws {
        try statement(\.clearRateLimits, "DELETE FROM rate_limits").run([])
        // A name repeated (in another case, say) keeps its last value.
        let insert = try statement(\.insertRateLimit, "INSERT OR REPLACE INTO rate_limits (name, value, ts_ms) VALUES (?, ?, ?)")
        for limit in limits {
            try insert.run([.text(limit.key), .text(limit.value), .integer(milliseconds)])
        }
    }

    /// Sets `project` on the calls of `session` recorded before it was known.
    @discardableResult
    private func assignProject(_ project: String, toSession session: String) throws -> Int {
        try connection.run("UPDATE requests SET project = ? WHERE session_id = ? AND project IS NULL", [.text(project), .text(session)])
    }
}

@available(*, unavailable)
extension AnalyticsStore: Sendable {}
