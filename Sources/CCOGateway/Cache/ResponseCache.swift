import Synchronization

/// A least-recently-used cache bounded by the bytes of what it stores (not by entry count), whose
/// entries also expire after a time to live. Safe to share between tasks.
///
/// `get` and `put` are O(1): a dictionary finds an entry, and an intrusive doubly linked list keeps
/// the recency order.
public final class ResponseCache<Value: Sendable>: Sendable {
    public struct Statistics: Sendable, Hashable {
        public var entries = 0
        public var bytes = 0
        public var hits = 0
        public var misses = 0
        public var evictions = 0
        public var expirations = 0

        public init(entries: Int = 0, bytes: Int = 0, hits: Int = 0, misses: Int = 0, evictions: Int = 0, expirations: Int = 0) {
            self.entries = entries
            self.bytes = bytes
            self.hits = hits
            self.misses = misses
            self.evictions = evictions
            self.expirations = expirations
        }
    }

    private struct Entry {
        var value: Value
        var bytes: Int
        var expires: ContinuousClock.Instant
        var newer: String?
        var older: String?
    }

    private struct State {
        var capacity: Int
        var ttl: Duration
        var entries: [String: Entry] = [:]
        var newest: String?
        var oldest: String?
        var statistics = Statistics()
    }

    private let state: Mutex<State>
    private let now: @Sendable () -> ContinuousClock.Instant

    /// - Parameters:
    ///   - capacityBytes: the most bytes kept (`cache_size`).
    ///   - ttl: how long an entry answers (`cache_ttl`).
    ///   - now: the clock, injectable for tests.
    public init(capacityBytes: Int, ttl: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock().now }) {
        state = Mutex(State(capacity: capacityBytes, ttl: ttl))
        self.now = now
    }

    /// The value for `key` if present and not expired; a hit makes it the most recently used.
    public func get(_ key: String) -> Value? {
        let instant = now()
        return state.withLock { state in
            guard let entry = state.entries[key] else {
                state.statistics.misses += 1
                return nil
            }
            guard entry.expires > instant else {
                Self.remove(key, from: &state)
                state.statistics.expirations += 1
                state.statistics.misses += 1
                return nil
            }
            Self.unlink(key, from: &state)
            Self.pushNewest(key, in: &state)
            state.statistics.hits += 1
            return entry.value
        }
    }

    /// Stores `value` as `bytes` long, evicting the least recently used entries until it fits.
    ///
    /// - Returns: false when the value alone is larger than the whole cache (it is not stored).
    @discardableResult
    public func put(_ key: String, _ value: Value, bytes: Int) -> Bool {
        put(key, value, bytes: bytes, timeToLive: nil)
    }

    /// Stores `value` for `timeToLive` instead of the cache's TTL (an entry restored from disk
    /// keeps the time it had left).
    @discardableResult
    public func put(_ key: String, _ value: Value, bytes: Int, timeToLive: Duration?) -> Bool {
        let instant = now()
        return state.withLock { state in
            if state.entries[key] != nil { Self.remove(key, from: &state) }
            guard bytes <= state.capacity else { return false }
            Self.evict(toFit: bytes, in: &state)
            state.entries[key] = Entry(value: value, bytes: bytes, expires: instant + (timeToLive ?? state.ttl))
            Self.pushNewest(key, in: &state)
            state.statistics.bytes += bytes
            state.statistics.entries += 1
            return true
        }
    }

    /// New limits (a reload): a smaller capacity evicts at once; a new TTL applies to new entries.
    public func setLimits(capacityBytes: Int, ttl: Duration) {
        state.withLock { state in
            state.capacity = capacityBytes
            state.ttl = ttl
            Self.evict(toFit: 0, in: &state)
        }
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Empties the cache (`POST /api/cache/purge`).
    ///
    /// - Returns: the entries and bytes removed.
    @discardableResult
    public func removeAll() -> (entries: Int, bytes: Int) {
        state.withLock { state in
            let removed = (state.statistics.entries, state.statistics.bytes)
            state.entries.removeAll()
            state.newest = nil
            state.oldest = nil
            state.statistics.entries = 0
            state.statistics.bytes = 0
            return removed
        }
    }

    /// Keys from the most to the least recently used (for tests and debugging).
    public var keysByRecency: [String] {
        state.withLock { state in
            var keys: [String] = []
            var cursor = state.newest
            while let key = cursor { keys.append(key); cursor = state.entries[key]?.older }
            return keys
        }
    }

    /// One live entry, as ``liveEntries()`` lists it.
    public struct LiveEntry: Sendable {
        public let key: String
        public let value: Value
        public let bytes: Int
        public let timeToLive: Duration
    }

    /// The unexpired entries from the least to the most recently used: putting them back in this
    /// order rebuilds the same recency (for keeping the cache across a restart).
    public func liveEntries() -> [LiveEntry] {
        let instant = now()
        return state.withLock { state in
            var entries: [LiveEntry] = []
            var cursor = state.oldest
            while let key = cursor, let entry = state.entries[key] {
                if entry.expires > instant {
                    entries.append(LiveEntry(key: key, value: entry.value, bytes: entry.bytes, timeToLive: entry.expires - instant))
                }
                cursor = entry.newer
            }
            return entries
        }
    }

    // MARK: - List operations (callers hold the lock)

    private static func evict(toFit bytes: Int, in state: inout State) {
        while state.statistics.bytes + bytes > state.capacity, let oldest = state.oldest {
            remove(oldest, from: &state)
            state.statistics.evictions += 1
        }
    }

    private static func remove(_ key: String, from state: inout State) {
        guard let entry = state.entries[key] else { return }
        unlink(key, from: &state)
        state.entries[key] = nil
        state.statistics.bytes -= entry.bytes
        state.statistics.entries -= 1
    }

    private static func unlink(_ key: String, from state: inout State) {
        guard let entry = state.entries[key] else { return }
        if let newer = entry.newer { state.entries[newer]?.older = entry.older } else { state.newest = entry.older }
        if let older = entry.older { state.entries[older]?.newer = entry.newer } else { state.oldest = entry.newer }
        state.entries[key]?.newer = nil
        state.entries[key]?.older = nil
    }

    private static func pushNewest(_ key: String, in state: inout State) {
        state.entries[key]?.older = state.newest
        state.entries[key]?.newer = nil
        if let newest = state.newest { state.entries[newest]?.newer = key }
        state.newest = key
        if state.oldest == nil { state.oldest = key }
    }
}
