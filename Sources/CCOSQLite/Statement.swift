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
        precondition(values.count == Int(sqlite_bind_parameter_count(handle)),
                     "\(values.count) values for \(sqlite_bind_parameter_count(handle)) parameters in `\(sql)`")
        _ = sqlite_reset(handle)
        sqlite_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = CInt(offset + 1)
            let r: CInt = switch value {
            case .null: sqlite_bind_null(handle, index)
            case .integer(let v): sqlite_bind_int64(handle, index, v)
            case .real(let v): sqlite_bind_double(handle, index, v)
            case .text(let v): sqlite_bind_text(handle, index, v)
            case .blob(let v): sqlite_bind_blob(handle, index, v)
            }
            guard r == sqliteOK else { throw connection.error(r, sql: sql) }
        }
    }

    /// Binds `values` and runs the statement to its end: for statements that return no rows.
    public func run(_ values: [SQLiteValue]) throws(SQLiteError) {
        try bind(values)
        while try step() {}
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
