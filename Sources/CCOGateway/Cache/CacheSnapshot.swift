#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore
import CCOAnalytics
import CCOSQLite

/// The response cache on disk (`cache_persist = true`): written at a graceful stop, read at start.
///
/// Written whole to `cache.db.tmp`, synced, and renamed over `cache.db`, so a crash while saving
/// leaves the previous snapshot (or none), never a half-written one. Entries keep the time to live
/// they had left, measured in wall-clock time while the daemon was down.
public enum CacheSnapshot {
    static let schema = """
        CREATE TABLE entries (
            rank INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            content_type TEXT NOT NULL,
            body BLOB NOT NULL,
            model TEXT,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_read_tokens INTEGER NOT NULL,
            cache_write_tokens INTEGER NOT NULL,
            stored_at_ms INTEGER NOT NULL,
            expires_at_ms INTEGER NOT NULL
        );
        """

    /// Saves the live entries of `cache`, least recently used first.
    ///
    /// - Returns: the number of entries saved.
    @discardableResult
    public static func save(_ cache: ResponseCache<CachedResponse>, to path: String, nowMilliseconds: Int64) throws -> Int {
        let temporary = path + ".tmp"
        _ = system_unlink(temporary)
        let entries = cache.liveEntries()
        do {
            let connection = try Connection(path: temporary, walMode: false)
            system_chmod(temporary, 0o600)
            try connection.execute("PRAGMA synchronous=FULL; " + schema)
            try insert(entries, into: connection, nowMilliseconds: nowMilliseconds)
            try connection.close()
        } catch {
            _ = system_unlink(temporary)
            throw error
        }
        try AtomicFile.replace(path, with: temporary)
        return entries.count
    }

    /// Inserts in its own function so that the statement is finalized before the connection closes.
    private static func insert(_ entries: [ResponseCache<CachedResponse>.LiveEntry], into connection: Connection, nowMilliseconds: Int64) throws {
        let insert = try connection.makeStatement(sql: "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        try connection.transaction {
            for (rank, entry) in entries.enumerated() {
                let response = entry.value
                let ttl = entry.timeToLive.components
                let expires = nowMilliseconds + ttl.seconds * 1000 + ttl.attoseconds / 1_000_000_000_000_000
                try insert.run([
                    .integer(Int64(rank)), .text(entry.key), .text(response.contentType), .blob(response.body),
                    response.model.map(SQLiteValue.text) ?? .null, .integer(Int64(response.usage.input)),
                    .integer(Int64(response.usage.output)), .integer(Int64(response.usage.cacheRead)),
                    .integer(Int64(response.usage.cacheWrite)), .integer(response.storedAtMilliseconds), .integer(expires),
                ])
            }
        }
    }

    /// Puts the unexpired entries of the snapshot at `path` into `cache`, then deletes the file:
    /// a snapshot is used once, so a crash later cannot bring back entries evicted since.
    ///
    /// - Returns: the number of entries restored (0 when there is no snapshot).
    @discardableResult
    public static func restore(into cache: ResponseCache<CachedResponse>, from path: String, nowMilliseconds: Int64) throws -> Int {
        guard system_access(path, F_OK) == 0 else { return 0 }
        defer { _ = system_unlink(path) }
        let connection = try Connection(path: path, walMode: false, readOnly: true)
        let rows = try connection.rows("""
            SELECT key, content_type, body, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
                   stored_at_ms, expires_at_ms FROM entries WHERE expires_at_ms > ? ORDER BY rank
            """, [.integer(nowMilliseconds)])
        var restored = 0
        for row in rows {
            guard case .text(let key) = row[0], case .text(let contentType) = row[1], case .integer(let stored) = row[8],
                  case .integer(let expires) = row[9] else { continue }
            let body: [UInt8] = if case .blob(let b) = row[2] { b } else { [] }
            let model: String? = if case .text(let m) = row[3] { m } else { nil }
            let usage = TokenUsage(input: row[4].int, output: row[5].int, cacheRead: row[6].int, cacheWrite: row[7].int)
            let response = CachedResponse(contentType: contentType, body: body, model: model, usage: usage, storedAtMilliseconds: stored)
            if cache.put(key, response, bytes: response.cost, timeToLive: .milliseconds(expires - nowMilliseconds)) { restored += 1 }
        }
        try connection.close()
        return restored
    }
}
