#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import CCOSQLite

/// A database file in a fresh directory, removed afterwards.
func withDatabasePath<T>(_ body: (String) throws -> T) throws -> T {
    var template = Array("/tmp/cco-sqlite-XXXXXX".utf8CString)
    let dir = String(cString: mkdtemp(&template)!)
    defer { _ = system("rm -rf '\(dir)'") }
    return try body(dir + "/test.db")
}

@Suite struct ConnectionTests {
    @Test func typedValuesRoundTripThroughARealFile() throws {
        try withDatabasePath { path throws in
            let db = try Connection(path: path)
            try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
            let values: [SQLiteValue] = [.integer(Int64.max), .real(0.25), .text("héllo ✓ \"quoted\""), .blob([0, 1, 255]), .null]
            #expect(try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", values) == 1)
            #expect(try db.rows("SELECT * FROM t") == [values])
            try db.close()
            // Reopened: it was on disk.
            let again = try Connection(path: path)
            #expect(try again.scalar("SELECT s FROM t") == .text("héllo ✓ \"quoted\""))
            try again.close()
        }
    }

    @Test func walModeIsOnForFiles() throws {
        try withDatabasePath { path throws in
            let db = try Connection(path: path)
            #expect(try db.scalar("PRAGMA journal_mode") == .text("wal"))
            let memory = try Connection(path: ":memory:")
            #expect(try memory.scalar("PRAGMA journal_mode") == .text("memory"))
        }
    }

    @Test func errorsCarryCodeMessageAndSQL() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
        try db.run("INSERT INTO t (name) VALUES (?)", ["a"])
        do {
            try db.run("INSERT INTO t (name) VALUES (?)", ["a"])
            Issue.record("expected a constraint error")
        } catch {
            #expect(error.code == SQLiteError.constraint)
            #expect(error.extendedCode == 2067)  // SQLITE_CONSTRAINT_UNIQUE
            #expect(error.message == "UNIQUE constraint failed: t.name")
            #expect(error.sql == "INSERT INTO t (name) VALUES (?)")
            #expect(error.description == "sqlite error 19 (2067): UNIQUE constraint failed: t.name - while executing `INSERT INTO t (name) VALUES (?)`")
        }
        #expect(throws: SQLiteError.self) { try db.makeStatement(sql: "SELEC 1") }
    }

    @Test func openingAnUnwritablePathNamesIt() {
        do {
            _ = try Connection(path: "/nonexistent-dir/cco/analytics.db")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.hasPrefix("cannot open /nonexistent-dir/cco/analytics.db: "))
        }
    }

    @Test func transactionCommitsOnReturnAndRollsBackOnThrow() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (v INTEGER)")
        try db.transaction { try db.run("INSERT INTO t VALUES (1)") }
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (2)")
                throw Abort()
            }
        }
        #expect(try db.rows("SELECT v FROM t") == [[.integer(1)]])
    }

    @Test func aPreparedStatementIsReusedWithNewBindings() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (v INTEGER)")
        let insert = try db.makeStatement(sql: "INSERT INTO t VALUES (?)")
        for i in 0 ..< 100 {
            try insert.bind([.integer(Int64(i))])
            #expect(try insert.step() == false)
        }
        #expect(try db.scalar("SELECT sum(v) FROM t") == .integer(4950))
    }

    /// Text is bound by its bytes and length, whatever its storage: inline (short), on the heap,
    /// bridged from a substring, empty (empty text, not NULL), or with a NUL inside.
    @Test(arguments: ["", "a", "/v1/messages", "req_011CVx4zK2 ✓", String(repeating: "é", count: 300), "nul\u{0}inside",
                      String("xx-prefixed-substring".dropFirst(3))])
    func textOfEveryLengthAndStorageIsBoundWhole(text: String) throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (s TEXT)")
        let insert = try db.makeStatement(sql: "INSERT INTO t VALUES (?)")
        try insert.run { row in row.bind(text) }
        #expect(try db.rows("SELECT s, length(CAST(s AS BLOB)), s IS NULL FROM t") == [[.text(text), .integer(Int64(text.utf8.count)), .integer(0)]])
    }

    @Test func aStatementRunByItsBindingsBindsEachValueInOrderAndNilAsNull() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b INTEGER, n TEXT)")
        let insert = try db.makeStatement(sql: "INSERT INTO t VALUES (?, ?, ?, ?, ?)")
        for i in 0 ..< 3 {
            try insert.run { row in
                row.bind(Int64.max - Int64(i)); row.bind(0.25 * Double(i)); row.bind("héllo \(i)"); row.bind(i == 1)
                row.bind(i == 2 ? "set" : nil)
            }
        }
        #expect(try db.rows("SELECT * FROM t ORDER BY rowid") == [
            [.integer(.max), .real(0), .text("héllo 0"), .integer(0), .null],
            [.integer(.max - 1), .real(0.25), .text("héllo 1"), .integer(1), .null],
            [.integer(.max - 2), .real(0.5), .text("héllo 2"), .integer(0), .text("set")],
        ])
    }

    /// A run binds its text where it lies in one buffer the statement keeps: each value is its own
    /// whatever came before it in this run or in an earlier, longer one, and nothing of a run's
    /// text is left bound once it returns.
    @Test func textOfARunIsEachValuesOwnAndNotLeftBound() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE TABLE t (a TEXT, b TEXT, c TEXT, d INTEGER)")
        let insert = try db.makeStatement(sql: "INSERT INTO t VALUES (?, ?, ?, ?)")
        let runs: [[String?]] = [
            [String(repeating: "long ✓ ", count: 20_000), "b", ""],
            ["x", nil, "third"],
            ["", "", String(repeating: "z", count: 40)],
            ["nul\u{0}inside", "é", "last"],
        ]
        for (index, texts) in runs.enumerated() {
            try insert.run { row in
                for text in texts { row.bind(text) }
                row.bind(index)
            }
        }
        let expected: [[SQLiteValue]] = runs.enumerated().map { index, texts in
            texts.map { $0.map(SQLiteValue.text) ?? .null } + [.integer(Int64(index))]
        }
        #expect(try db.rows("SELECT * FROM t ORDER BY rowid") == expected)
        // Stepped again after its run, a statement sees NULL: it holds no pointer into the buffer.
        let echo = try db.makeStatement(sql: "SELECT ?, ?")
        try echo.run { row in row.bind("kept only for the run"); row.bind(1) }
        #expect(try echo.step())
        #expect(echo.row() == [.null, .null])
    }

    /// With its own bound, a commit folds the write-ahead log back into the file only once the log
    /// passes it; a checkpoint folds it at once. The log's pages are counted at every commit.
    @Test func aCommitFoldsTheLogOnlyPastItsBoundAndACheckpointFoldsItAtOnce() throws {
        try withDatabasePath { path throws in
            let db = try Connection(path: path)
            try db.execute("CREATE TABLE t (v BLOB)")
            db.checkpointAutomatically(atPages: 200)
            let fileSize = { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1 }
            let empty = fileSize()
            let insert = try db.makeStatement(sql: "INSERT INTO t VALUES (?)")
            // A page of its own for each row, one commit each (with the pages above it, 2-3 a commit).
            for _ in 0 ..< 20 { try insert.run([.blob(Array(repeating: 7, count: 3000))]) }
            #expect((20 ..< 200).contains(db.logPages), "\(db.logPages) pages")
            #expect(fileSize() == empty, "nothing folded below the bound")
            var most = 0
            for _ in 0 ..< 120 {
                try insert.run([.blob(Array(repeating: 8, count: 3000))])
                most = max(most, db.logPages)
            }
            #expect(most < 200, "a commit past the bound folded the log: \(most) pages at most")
            #expect(fileSize() > empty + 20 * 3000)
            try db.checkpoint()
            #expect(db.logPages == 0)
            #expect(try db.scalar("SELECT count(*) FROM t") == .integer(140))
        }
    }

    @Test func aSecondWriterWaitsForTheBusyTimeoutInsteadOfFailing() throws {
        try withDatabasePath { path throws in
            let first = try Connection(path: path)
            try first.execute("CREATE TABLE t (v INTEGER)")
            try first.execute("BEGIN IMMEDIATE")
            try first.run("INSERT INTO t VALUES (1)")
            var thread = pthread_t()
            let context = Unmanaged.passRetained(first).toOpaque()
            pthread_create(&thread, nil, { raw in
                let connection = Unmanaged<Connection>.fromOpaque(raw!).takeRetainedValue()
                usleep(100_000)
                try? connection.execute("COMMIT")
                return nil
            }, context)
            let second = try Connection(path: path, busyTimeout: .seconds(5))
            try second.run("INSERT INTO t VALUES (2)")  // waits ~100 ms for the first writer
            pthread_join(thread, nil)
            #expect(try second.scalar("SELECT count(*) FROM t") == .integer(2))
        }
    }

    @Test func noBusyTimeoutFailsWithBusy() throws {
        try withDatabasePath { path throws in
            let first = try Connection(path: path)
            try first.execute("CREATE TABLE t (v INTEGER)")
            try first.execute("BEGIN IMMEDIATE")
            let second = try Connection(path: path, busyTimeout: .zero)
            do {
                try second.run("INSERT INTO t VALUES (2)")
                Issue.record("expected SQLITE_BUSY")
            } catch let error as SQLiteError {
                #expect(error.code == SQLiteError.busy)
            }
            try first.execute("ROLLBACK")
        }
    }
}

@Suite struct MigratorTests {
    let migrator = Migrator([
        .init(version: 1, sql: "CREATE TABLE requests (id INTEGER PRIMARY KEY, model TEXT NOT NULL)"),
        .init(version: 2, sql: "ALTER TABLE requests ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0"),
    ])

    @Test func appliesPendingMigrationsOnceAndRecordsUserVersion() throws {
        try withDatabasePath { path throws in
            let db = try Connection(path: path)
            #expect(try migrator.migrate(db) == [1, 2])
            #expect(try db.userVersion == 2)
            #expect(try migrator.migrate(db) == [])
            try db.run("INSERT INTO requests (model, cost_usd) VALUES (?, ?)", ["claude", .real(0.5)])
        }
    }

    @Test func upgradesFromAnOlderVersion() throws {
        let db = try Connection(path: ":memory:")
        try Migrator(Array(migrator.migrations.prefix(1))).migrate(db)
        #expect(try migrator.migrate(db) == [2])
    }

    @Test func aFailedMigrationLeavesThePreviousVersion() throws {
        let db = try Connection(path: ":memory:")
        let broken = Migrator(migrator.migrations + [.init(version: 3, sql: "CREATE TABLE x (; nonsense")])
        #expect(throws: SQLiteError.self) { try broken.migrate(db) }
        #expect(try db.userVersion == 2)
    }

    @Test func aNewerDatabaseIsRefused() throws {
        let db = try Connection(path: ":memory:")
        try db.execute("PRAGMA user_version = 9")
        #expect(throws: SQLiteError.self) { try migrator.migrate(db) }
    }
}
