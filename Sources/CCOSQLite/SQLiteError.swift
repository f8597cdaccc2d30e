/// A failed SQLite call: the (extended) result code, SQLite's message, and the SQL it was running.
///
/// `"sqlite error 19 (2067): UNIQUE constraint failed: t.id - while executing `INSERT …`"`
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The extended result code, e.g. 2067 (SQLITE_CONSTRAINT_UNIQUE).
    public let extendedCode: Int32
    public let message: String
    public let sql: String?

    /// The primary result code (the low byte), e.g. 19 (SQLITE_CONSTRAINT) or 5 (SQLITE_BUSY).
    public var code: Int32 { extendedCode & 0xff }

    public static let busy: Int32 = 5
    public static let constraint: Int32 = 19
    public static let full: Int32 = 13
    public static let corrupt: Int32 = 11

    public init(extendedCode: Int32, message: String, sql: String?) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    public var description: String {
        let codes = extendedCode == code ? "\(code)" : "\(code) (\(extendedCode))"
        return "sqlite error \(codes): \(message)" + (sql.map { " - while executing `\($0)`" } ?? "")
    }
}
