/// A prepared statement. Owns its `sqlite3_stmt*` and keeps its connection alive.
///
/// The corresponding C functions are `sqlite3_prepare_v2`, `sqlite3_bind_*`, `sqlite3_step`,
/// `sqlite3_column_*`, `sqlite3_reset`, `sqlite3_finalize`.
public final class Statement {
    let handle: OpaquePointer
    private let connection: Connection

    init(handle: OpaquePointer, connection: Connection) {
        self.handle = handle
        self.connection = connection
    }

    deinit { sqlite_finalize(handle) }

    /// The statement's SQL text.
    public var sql: String { sqlite_sql(handle) }

    /// Binds `values` to `?1…?n` after resetting the statement for reuse.
    ///
    /// A count that does not match the statement's parameters is a programmer error and traps.
    public func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        try bind { row in
            for value in values { row.bind(value) }
        }
    }

    /// Binds the values `bindings` gives, `?1` first, after resetting the statement for reuse: for
    /// a statement run many times over (a batch's inserts), with no array of values made per run.
    ///
    /// Every parameter is given a value each time (so none is left from a previous run): a count
    /// that does not match the statement's parameters is a programmer error and traps.
    public func bind(_ bindings: (inout Bindings) -> Void) throws(SQLiteError) {
        _ = sqlite_reset(handle)
        var values = Bindings(handle: handle)
        bindings(&values)
        precondition(values.count == sqlite_bind_parameter_count(handle),
                     "\(values.count) values for \(sqlite_bind_parameter_count(handle)) parameters in `\(sql)`")
        // A value SQLite refuses (one past its length limit; no memory).
        if values.failure != sqliteOK { throw connection.error(values.failure, sql: sql) }
    }

    /// Binds `values` and runs the statement to its end: for statements that return no rows.
    public func run(_ values: [SQLiteValue]) throws(SQLiteError) {
        try bind(values)
        while try step() {}
    }

    /// Binds the values `bindings` gives and runs the statement to its end.
    public func run(binding bindings: (inout Bindings) -> Void) throws(SQLiteError) {
        try bind(bindings)
        while try step() {}
    }

    /// The values of one run of a statement, bound in order as they are given.
    public struct Bindings {
        fileprivate let handle: OpaquePointer
        fileprivate private(set) var count: CInt = 0
        /// The first failed bind's result code.
        fileprivate private(set) var failure = sqliteOK

        fileprivate init(handle: OpaquePointer) { self.handle = handle }

        public mutating func bind(_ value: Int64) { next(sqlite_bind_int64(handle, count + 1, value)) }
        public mutating func bind(_ value: Int) { bind(Int64(value)) }
        public mutating func bind(_ value: Bool) { bind(Int64(value ? 1 : 0)) }
        public mutating func bind(_ value: Double) { next(sqlite_bind_double(handle, count + 1, value)) }
        /// Text, or NULL for nil.
        public mutating func bind(_ value: String?) {
            next(value.map { sqlite_bind_text(handle, count + 1, $0) } ?? sqlite_bind_null(handle, count + 1))
        }

        public mutating func bind(_ value: SQLiteValue) {
            switch value {
            case .null: bind(nil as String?)
            case .integer(let v): bind(v)
            case .real(let v): bind(v)
            case .text(let v): bind(v)
            case .blob(let v): next(sqlite_bind_blob(handle, count + 1, v))
            }
        }

        private mutating func next(_ result: CInt) {
            count += 1
            if result != sqliteOK && failure == sqliteOK { failure = result }
        }
    }

    /// Advances to the next row.
    ///
    /// - Returns: true when a row is available, false when the statement is done.
    /// - Throws: ``SQLiteError`` (with the statement's SQL) on failure; the statement is reset.
    public func step() throws(SQLiteError) -> Bool {
        let r = sqlite_step(handle)
        if r == sqliteRow { return true }
        if r == sqliteDone { return false }
        let error = connection.error(r, sql: sql)
        _ = sqlite_reset(handle)
        throw error
    }

    /// The current row's values.
    public func row() -> [SQLiteValue] {
        (0 ..< sqlite_column_count(handle)).map(column)
    }

    public func column(_ index: CInt) -> SQLiteValue {
        switch sqlite_column_type(handle, index) {
        case sqliteNull: .null
        case sqliteInteger: .integer(sqlite_column_int64(handle, index))
        case sqliteFloat: .real(sqlite_column_double(handle, index))
        case sqliteText: .text(sqlite_column_text(handle, index))
        default: .blob(sqlite_column_blob(handle, index))
        }
    }
}

@available(*, unavailable)
extension Statement: Sendable {}
