/// Schema migrations numbered from 1 and recorded in `PRAGMA user_version`: each pending one runs in
/// its own transaction, so a failed migration leaves the database at the previous version.
public struct Migrator: Sendable {
    public struct Migration: Sendable {
        public let version: Int
        public let sql: String
        public init(version: Int, sql: String) {
            self.version = version
            self.sql = sql
        }
    }

    public let migrations: [Migration]

    /// - Precondition: versions are 1, 2, 3, … in order.
    public init(_ migrations: [Migration]) {
        precondition(migrations.enumerated().allSatisfy { $0.offset + 1 == $0.element.version }, "migrations must be numbered 1, 2, 3, …")
        self.migrations = migrations
    }

    /// Applies every migration above the database's `user_version`.
    ///
    /// - Returns: the versions applied now.
    /// - Throws: ``SQLiteError``; also when the database is newer than this code knows.
    @discardableResult
    public func migrate(_ connection: Connection) throws -> [Int] {
        let current = try connection.userVersion
        guard current <= migrations.count else {
            throw SQLiteError(extendedCode: 1, message: "\(connection.path) is at schema version \(current), newer than this cco knows (\(migrations.count)); upgrade cco", sql: nil)
        }
        var applied: [Int] = []
        for migration in migrations.dropFirst(current) {
            try connection.transaction {
                try connection.execute(migration.sql)
                try connection.execute("PRAGMA user_version = \(migration.version)")
            }
            applied.append(migration.version)
        }
        return applied
    }
}
