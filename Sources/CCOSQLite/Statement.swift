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

    /// Text values of ``run(binding:)``, gathered in one buffer kept from run to run and bound
    /// where they lie rather than copied by SQLite one by one.
    private var texts = TextArena()

    /// Binds `values` to `?1…?n` after resetting the statement for reuse.
    ///
    /// A count that does not match the statement's parameters is a programmer error and traps.
    public func bind(_ values: [SQLiteValue]) throws(SQLiteError) {
        try bind { row in
            for value in values { row.bind(value) }
        }
    }

    /// Binds the values `bindings` gives, `?1` first, after resetting the statement for reuse, for
    /// the rows that ``step()`` then reads.
    ///
    /// Every parameter is given a value each time (so none is left from a previous run): a count
    /// that does not match the statement's parameters is a programmer error and traps.
    public func bind(_ bindings: (inout Bindings) -> Void) throws(SQLiteError) {
        _ = sqlite_reset(handle)
        var values = Bindings(handle: handle, holdsText: false)
        bindings(&values)
        try check(values)
    }

    /// Binds `values` and runs the statement to its end: for statements that return no rows.
    public func run(_ values: [SQLiteValue]) throws(SQLiteError) {
        try run { row in
            for value in values { row.bind(value) }
        }
    }

    /// Binds the values `bindings` gives and runs the statement to its end: for a statement run
    /// many times over (a batch's inserts), with no array of values made per run.
    ///
    /// Text is not copied: the run's text values are gathered in one buffer the statement keeps
    /// for its next runs, bound where they lie, and unbound (every parameter set to NULL) before
    /// this returns, so that SQLite holds no pointer into the buffer once it can change. (Copied
    /// by SQLite, each text value of a row was an allocation, a copy and a free.)
    public func run(binding bindings: (inout Bindings) -> Void) throws(SQLiteError) {
        _ = sqlite_reset(handle)
        var values = Bindings(handle: handle, holdsText: true)
        swap(&values.texts, &texts)
        values.texts.removeAll()
        defer { swap(&values.texts, &texts) }
        bindings(&values)
        try check(values)
        let failure = try sqlite_with_texts_bound(handle, values.texts) { () throws(SQLiteError) in
            while try step() {}
        }
        if failure != sqliteOK { throw connection.error(failure, sql: sql) }
    }

    private func check(_ values: Bindings) throws(SQLiteError) {
        precondition(values.count == sqlite_bind_parameter_count(handle),
                     "\(values.count) values for \(sqlite_bind_parameter_count(handle)) parameters in `\(sql)`")
        // A value SQLite refuses (one past its length limit; no memory).
        if values.failure != sqliteOK { throw connection.error(values.failure, sql: sql) }
    }

    /// The values of one run of a statement, bound in order as they are given.
    public struct Bindings {
        fileprivate let handle: OpaquePointer
        fileprivate private(set) var count: CInt = 0
        /// The first failed bind's result code.
        fileprivate private(set) var failure = sqliteOK
        /// Whether text goes to ``texts``, to be bound once every value is given, rather than
        /// copied by SQLite at once.
        fileprivate let holdsText: Bool
        fileprivate var texts = TextArena()

        fileprivate init(handle: OpaquePointer, holdsText: Bool) {
            self.handle = handle
            self.holdsText = holdsText
        }

        public mutating func bind(_ value: Int64) { next(sqlite_bind_int64(handle, count + 1, value)) }
        public mutating func bind(_ value: Int) { bind(Int64(value)) }
        public mutating func bind(_ value: Bool) { bind(Int64(value ? 1 : 0)) }
        public mutating func bind(_ value: Double) { next(sqlite_bind_double(handle, count + 1, value)) }
        /// Text, or NULL for nil.
        public mutating func bind(_ value: String?) {
            guard let value else { return next(sqlite_bind_null(handle, count + 1)) }
            // Empty text has no bytes to point at: bound at once, as empty text (not NULL).
            guard holdsText, !value.utf8.isEmpty else { return next(sqlite_bind_text(handle, count + 1, value)) }
            texts.append(value, parameter: count + 1)
            next(sqliteOK)
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

/// The text values of one run, one after another in one buffer, and the parameter each is for.
struct TextArena {
    struct Span {
        var parameter: CInt
        var offset: Int
        var count: Int
    }

    private(set) var bytes: [UInt8] = []
    private(set) var spans: [Span] = []

    /// A buffer grown past this for one run (a large text) is let go of rather than kept.
    static let keptCapacity = 1 << 16

    mutating func append(_ text: String, parameter: CInt) {
        spans.append(Span(parameter: parameter, offset: bytes.count, count: text.utf8.count))
        bytes.append(contentsOf: text.utf8)
    }

    /// Empties the arena, keeping its storage for the next run unless a large text grew it.
    mutating func removeAll() {
        if bytes.capacity > Self.keptCapacity { bytes = [] } else { bytes.removeAll(keepingCapacity: true) }
        spans.removeAll(keepingCapacity: true)
    }
}
