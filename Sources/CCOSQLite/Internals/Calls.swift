// Every raw libsqlite3 call lives in this file; the rest of the module sees Swift types only.
internal import CSQLite

/// `SQLITE_TRANSIENT` is a macro (a cast of -1 to a destructor pointer) that does not import: SQLite
/// copies the bound value before the call returns.
private let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

internal let sqliteOK = SQLITE_OK
internal let sqliteRow = SQLITE_ROW
internal let sqliteDone = SQLITE_DONE
internal let sqliteNull = SQLITE_NULL
internal let sqliteInteger = SQLITE_INTEGER
internal let sqliteFloat = SQLITE_FLOAT
internal let sqliteText = SQLITE_TEXT

internal func sqlite_open(_ path: String, _ handle: inout OpaquePointer?, readOnly: Bool) -> CInt {
    let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
    return sqlite3_open_v2(path, &handle, flags, nil)
}

internal func sqlite_close(_ handle: OpaquePointer) -> CInt { sqlite3_close(handle) }
internal func sqlite_errmsg(_ handle: OpaquePointer) -> String { String(cString: sqlite3_errmsg(handle)) }
internal func sqlite_errstr(_ code: CInt) -> String { String(cString: sqlite3_errstr(code)) }
internal func sqlite_extended_errcode(_ handle: OpaquePointer) -> CInt { sqlite3_extended_errcode(handle) }
internal func sqlite_extended_result_codes(_ handle: OpaquePointer) { sqlite3_extended_result_codes(handle, 1) }
internal func sqlite_busy_timeout(_ handle: OpaquePointer, _ ms: CInt) -> CInt { sqlite3_busy_timeout(handle, ms) }
internal func sqlite_changes(_ handle: OpaquePointer) -> Int { Int(sqlite3_changes64(handle)) }
internal func sqlite_last_insert_rowid(_ handle: OpaquePointer) -> Int64 { sqlite3_last_insert_rowid(handle) }

/// Replaces SQLite's automatic checkpoint (the default write-ahead log hook, which folds the log at
/// 1000 pages) with one that counts the log's pages into `log` after every commit and folds the log
/// once it holds `log.limit` pages.
internal func sqlite_count_log_pages(_ handle: OpaquePointer, into log: WriteAheadLog) {
    let context = Unmanaged.passUnretained(log).toOpaque()
    _ = sqlite3_wal_hook(handle, { context, handle, name, pages in
        let log = Unmanaged<WriteAheadLog>.fromOpaque(context!).takeUnretainedValue()
        log.pages = Int(pages)
        // As SQLite's own hook: a checkpoint that fails (a reader in the way) is tried at the next commit.
        if log.pages >= log.limit, let handle { _ = sqlite_checkpoint(handle, name, into: log) }
        return SQLITE_OK
    }, context)
}

/// A passive checkpoint of database `name` (nil: every attached one): folds as much of the log as
/// no reader still needs, without waiting; sets `log.pages` to what is left.
internal func sqlite_checkpoint(_ handle: OpaquePointer, _ name: UnsafePointer<CChar>?, into log: WriteAheadLog) -> CInt {
    var pages: CInt = 0
    var folded: CInt = 0
    let r = sqlite3_wal_checkpoint_v2(handle, name, SQLITE_CHECKPOINT_PASSIVE, &pages, &folded)
    if r == SQLITE_OK { log.pages = max(0, Int(pages) - Int(folded)) }
    return r
}

internal func sqlite_exec(_ handle: OpaquePointer, _ sql: String) -> CInt {
    sqlite3_exec(handle, sql, nil, nil, nil)
}

/// Prepares the first statement of `sql`; `tail` is the offset (in UTF-8 bytes) of the rest.
internal func sqlite_prepare(_ handle: OpaquePointer, _ sql: String, _ statement: inout OpaquePointer?) -> CInt {
    sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
}

internal func sqlite_finalize(_ statement: OpaquePointer) { sqlite3_finalize(statement) }
internal func sqlite_reset(_ statement: OpaquePointer) -> CInt { sqlite3_reset(statement) }
internal func sqlite_step(_ statement: OpaquePointer) -> CInt { sqlite3_step(statement) }
internal func sqlite_bind_parameter_count(_ statement: OpaquePointer) -> CInt { sqlite3_bind_parameter_count(statement) }
internal func sqlite_sql(_ statement: OpaquePointer) -> String { sqlite3_sql(statement).map { String(cString: $0) } ?? "" }

internal func sqlite_bind_null(_ statement: OpaquePointer, _ index: CInt) -> CInt { sqlite3_bind_null(statement, index) }
internal func sqlite_bind_int64(_ statement: OpaquePointer, _ index: CInt, _ value: Int64) -> CInt { sqlite3_bind_int64(statement, index, value) }
internal func sqlite_bind_double(_ statement: OpaquePointer, _ index: CInt, _ value: Double) -> CInt { sqlite3_bind_double(statement, index, value) }
/// By its UTF-8 bytes and their count: passed as a C string, a string short enough to be held
/// inline (a route, a request's id, a tier) was first copied to the heap with a NUL after it, for
/// every bind of every row. An empty string is bound as empty text, not as NULL.
internal func sqlite_bind_text(_ statement: OpaquePointer, _ index: CInt, _ value: String) -> CInt {
    var value = value
    return value.withUTF8 { bytes in
        bytes.withMemoryRebound(to: CChar.self) { text in
            // A null pointer would bind NULL: an empty string with no storage is bound as "".
            guard let start = text.baseAddress else { return sqlite3_bind_text(statement, index, "", 0, transient) }
            return sqlite3_bind_text64(statement, index, start, sqlite3_uint64(text.count), transient, UInt8(SQLITE_UTF8))
        }
    }
}
/// Binds each of `texts`' values where it lies in `texts.bytes` (SQLITE_STATIC: not copied),
/// runs `body`, then sets every parameter to NULL, so that the statement holds no pointer into the
/// buffer once `body` has returned or thrown.
///
/// - Returns: the first bind's failure (`body` then does not run), or SQLITE_OK.
internal func sqlite_with_texts_bound(_ statement: OpaquePointer, _ texts: TextArena,
                                      _ body: () throws(SQLiteError) -> Void) throws(SQLiteError) -> CInt {
    guard !texts.spans.isEmpty else {
        try body()
        return SQLITE_OK
    }
    return try texts.bytes.withUnsafeBufferPointer { bytes throws(SQLiteError) -> CInt in
        defer { _ = sqlite3_clear_bindings(statement) }
        let base = UnsafeRawPointer(bytes.baseAddress!)
        for span in texts.spans {
            let text = (base + span.offset).assumingMemoryBound(to: CChar.self)
            let r = sqlite3_bind_text64(statement, span.parameter, text, sqlite3_uint64(span.count), nil, UInt8(SQLITE_UTF8))
            if r != SQLITE_OK { return r }
        }
        try body()
        return SQLITE_OK
    }
}
internal func sqlite_bind_blob(_ statement: OpaquePointer, _ index: CInt, _ value: [UInt8]) -> CInt {
    value.withUnsafeBytes { sqlite3_bind_blob64(statement, index, $0.baseAddress, sqlite3_uint64($0.count), transient) }
}

internal func sqlite_column_count(_ statement: OpaquePointer) -> CInt { sqlite3_column_count(statement) }
internal func sqlite_column_type(_ statement: OpaquePointer, _ index: CInt) -> CInt { sqlite3_column_type(statement, index) }
internal func sqlite_column_int64(_ statement: OpaquePointer, _ index: CInt) -> Int64 { sqlite3_column_int64(statement, index) }
internal func sqlite_column_double(_ statement: OpaquePointer, _ index: CInt) -> Double { sqlite3_column_double(statement, index) }
internal func sqlite_column_text(_ statement: OpaquePointer, _ index: CInt) -> String {
    // By its length, as it was bound: text may hold a NUL. (The text first, then its length in
    // bytes: the order SQLite asks for.)
    guard let text = sqlite3_column_text(statement, index) else { return "" }
    return String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, index))), as: UTF8.self)
}
internal func sqlite_column_blob(_ statement: OpaquePointer, _ index: CInt) -> [UInt8] {
    let count = Int(sqlite3_column_bytes(statement, index))
    guard count > 0, let pointer = sqlite3_column_blob(statement, index) else { return [] }
    return Array(UnsafeRawBufferPointer(start: pointer, count: count))
}
