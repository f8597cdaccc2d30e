/// One SQLite connection. Owns its `sqlite3*`; `close()` it when done (deinit closes a connection
/// that was not closed, as a backstop). Not thread-safe: use it from one thread or actor.
///
/// The corresponding C functions are `sqlite3_open_v2`, `sqlite3_close`, `sqlite3_exec`,
/// `sqlite3_busy_timeout`. <https://www.sqlite.org/c3ref/intro.html>
public final class Connection {
    let handle: OpaquePointer
    private var closed = false
    /// The path given to `open`, or `:memory:`.
    public let path: String
    /// The write-ahead log's pages, once ``checkpointAutomatically(atPages:)`` counts them.
    private let log = WriteAheadLog()

    /// Opens (creating when missing) the database at `path`, or an in-memory one for `:memory:`.
    ///
    /// - Parameters:
    ///   - busyTimeout: how long a statement waits for another connection's lock before SQLITE_BUSY.
    ///   - walMode: switch to `journal_mode=WAL` (readers do not block the writer; durable on commit
    ///     with `synchronous=NORMAL` except for the last transactions before a power loss).
    /// - Throws: ``SQLiteError`` naming the path.
    public init(path: String, busyTimeout: Duration = .seconds(5), walMode: Bool = true, readOnly: Bool = false) throws(SQLiteError) {
        var handle: OpaquePointer?
        let r = sqlite_open(path, &handle, readOnly: readOnly)
        guard r == sqliteOK, let handle else {
            // "Whether or not an error occurs when it is opened, resources associated with the
            // database connection handle should be released by passing it to sqlite3_close()."
            let message = handle.map(sqlite_errmsg) ?? sqlite_errstr(r)
            if let handle { _ = sqlite_close(handle) }
            throw SQLiteError(extendedCode: r, message: "cannot open \(path): \(message)", sql: nil)
        }
        self.handle = handle
        self.path = path
        sqlite_extended_result_codes(handle)
        let ms = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        _ = sqlite_busy_timeout(handle, CInt(clamping: ms))
        if walMode && !readOnly && path != ":memory:" {
            try execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        }
        try execute("PRAGMA foreign_keys=ON;")
    }

    deinit {
        if !closed { _ = sqlite_close(handle) }
    }

    /// Closes the connection. Every ``Statement`` made from it must be gone first.
    ///
    /// - Throws: ``SQLiteError`` (SQLITE_BUSY) when statements are still alive; the connection stays open.
    public func close() throws(SQLiteError) {
        guard !closed else { return }
        let r = sqlite_close(handle)
        guard r == sqliteOK else { throw error(r, sql: nil) }
        closed = true
    }

    /// Runs one or more statements that return no rows (DDL, PRAGMAs, migrations).
    public func execute(_ sql: String) throws(SQLiteError) {
        let r = sqlite_exec(handle, sql)
        guard r == sqliteOK else { throw error(r, sql: sql) }
    }

    /// Prepares one statement with `?` parameters.
    public func makeStatement(sql: String) throws(SQLiteError) -> Statement {
        var statement: OpaquePointer?
        let r = sqlite_prepare(handle, sql, &statement)
        guard r == sqliteOK, let statement else { throw error(r, sql: sql) }
        return Statement(handle: statement, connection: self)
    }

    /// Prepares, binds and runs a statement that returns no rows.
    ///
    /// - Returns: the number of rows changed.
    @discardableResult
    public func run(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> Int {
        try makeStatement(sql: sql).run(values)
        return sqlite_changes(handle)
    }

    /// Prepares, binds and reads every row of a query.
    public func rows(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> [[SQLiteValue]] {
        let statement = try makeStatement(sql: sql)
        try statement.bind(values)
        var rows: [[SQLiteValue]] = []
        while try statement.step() { rows.append(statement.row()) }
        return rows
    }

    /// The first column of the first row, or nil when there is no row.
    public func scalar(_ sql: String, _ values: [SQLiteValue] = []) throws(SQLiteError) -> SQLiteValue? {
        try rows(sql, values).first?.first
    }

    public var lastInsertRowID: Int64 { sqlite_last_insert_rowid(handle) }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE`, so a writer takes the write lock up front
    /// and busy waits happen at BEGIN, not in the middle): committed when it returns, rolled back
    /// when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Makes a commit fold the write-ahead log back into the database file only once the log holds
    /// `pages` pages (SQLite's own automatic checkpoint folds it at 1000), and counts its pages for
    /// ``logPages``: a program that folds the log at moments of its choosing (``checkpoint()``)
    /// keeps this as the bound for when no such moment comes.
    public func checkpointAutomatically(atPages pages: Int) {
        log.limit = pages
        sqlite_count_log_pages(handle, into: log)
    }

    /// Pages of the write-ahead log not yet folded back into the database file, as of the last
    /// commit or checkpoint; 0 unless ``checkpointAutomatically(atPages:)`` counts them.
    public var logPages: Int { log.pages }

    /// Folds the write-ahead log back into the database file as far as readers allow, without
    /// waiting for them (a passive checkpoint). It syncs the log and the file to disk: the work a
    /// commit past the automatic checkpoint's bound would otherwise do. Any connection to the
    /// file may fold the log that another's commits wrote.
    ///
    /// - Returns: the pages of the log left unfolded (a reader still needed them).
    @discardableResult
    public func checkpoint() throws(SQLiteError) -> Int {
        let r = sqlite_checkpoint(handle, nil, into: log)
        guard r == sqliteOK else { throw error(r, sql: "PRAGMA wal_checkpoint(PASSIVE)") }
        return log.pages
    }

    /// `PRAGMA user_version`: the schema version the migrator has reached.
    public var userVersion: Int {
        get throws(SQLiteError) {
            if case .integer(let v)? = try scalar("PRAGMA user_version") { return Int(v) }
            return 0
        }
    }

    func error(_ code: CInt, sql: String?) -> SQLiteError {
        SQLiteError(extendedCode: sqlite_extended_errcode(handle), message: sqlite_errmsg(handle), sql: sql)
    }
}

@available(*, unavailable)
extension Connection: Sendable {}

/// What a connection knows of its write-ahead log: updated by SQLite's hook after each commit.
final class WriteAheadLog {
    var pages = 0
    var limit = Int(CInt.max)
}
