import Synchronization
import Testing
@testable import CCOGateway

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let offset = Mutex<Duration>(.zero)
    private let start = ContinuousClock().now
    func advance(_ by: Duration) { offset.withLock { $0 += by } }
    var now: ContinuousClock.Instant { start + offset.withLock { $0 } }
}

@Suite struct ResponseCacheTests {
    @Test func missThenHit() {
        let cache = ResponseCache<String>(capacityBytes: 100, ttl: .seconds(60))
        #expect(cache.get("a") == nil)
        #expect(cache.put("a", "response", bytes: 8))
        #expect(cache.get("a") == "response")
        #expect(cache.statistics == .init(entries: 1, bytes: 8, hits: 1, misses: 1, evictions: 0, expirations: 0))
    }

    @Test func theByteBoundEvictsTheLeastRecentlyUsed() {
        let cache = ResponseCache<Int>(capacityBytes: 100, ttl: .seconds(60))
        cache.put("a", 1, bytes: 40)
        cache.put("b", 2, bytes: 40)
        _ = cache.get("a")                 // a is now more recent than b
        cache.put("c", 3, bytes: 40)       // 120 > 100: b goes
        #expect(cache.get("b") == nil)
        #expect(cache.get("a") == 1 && cache.get("c") == 3)
        #expect(cache.statistics.bytes == 80 && cache.statistics.evictions == 1)
        cache.put("d", 4, bytes: 100)      // needs everything
        #expect(cache.keysByRecency == ["d"])
        #expect(cache.statistics.evictions == 3)
    }

    @Test func aValueLargerThanTheWholeCacheIsNotStored() {
        let cache = ResponseCache<Int>(capacityBytes: 100, ttl: .seconds(60))
        cache.put("a", 1, bytes: 10)
        #expect(!cache.put("huge", 2, bytes: 101))
        #expect(cache.get("a") == 1)       // nothing was evicted for it
        #expect(cache.statistics.entries == 1)
    }

    @Test func entriesExpireAfterTheTTL() {
        let clock = ManualClock()
        let cache = ResponseCache<Int>(capacityBytes: 100, ttl: .seconds(10), now: { clock.now })
        cache.put("a", 1, bytes: 10)
        clock.advance(.seconds(9))
        #expect(cache.get("a") == 1)
        clock.advance(.seconds(2))
        #expect(cache.get("a") == nil)
        #expect(cache.statistics.expirations == 1 && cache.statistics.bytes == 0)
    }

    @Test func replacingAKeyCountsItsBytesOnce() {
        let cache = ResponseCache<Int>(capacityBytes: 100, ttl: .seconds(60))
        cache.put("a", 1, bytes: 30)
        cache.put("a", 2, bytes: 50)
        #expect(cache.get("a") == 2)
        #expect(cache.statistics.bytes == 50 && cache.statistics.entries == 1)
    }

    @Test func shrinkingTheLimitEvictsAtOnce() {
        let cache = ResponseCache<Int>(capacityBytes: 100, ttl: .seconds(60))
        for (i, key) in ["a", "b", "c", "d"].enumerated() { cache.put(key, i, bytes: 25) }
        cache.setLimits(capacityBytes: 50, ttl: .seconds(60))
        #expect(cache.keysByRecency == ["d", "c"])
        #expect(cache.statistics.bytes == 50)
    }

    @Test func concurrentUseKeepsTheAccountsConsistent() async {
        let cache = ResponseCache<Int>(capacityBytes: 10_000, ttl: .seconds(60))
        await withTaskGroup(of: Void.self) { group in
            for t in 0 ..< 8 {
                group.addTask {
                    for i in 0 ..< 2_000 {
                        let key = "k\((t * 7 + i) % 500)"
                        if cache.get(key) == nil { cache.put(key, i, bytes: 1 + i % 97) }
                    }
                }
            }
        }
        let stats = cache.statistics
        #expect(stats.bytes <= 10_000)
        #expect(stats.entries == cache.keysByRecency.count)
        #expect(stats.hits + stats.misses == 16_000)
    }
}
