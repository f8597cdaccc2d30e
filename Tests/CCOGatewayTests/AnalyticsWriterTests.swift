#if canImport(Glibc)
import Glibc
#endif
import CCOAnalytics
import CCOCore
import CCOSQLite
import CCOTestSupport
import Foundation
import Logging
import NIOPosix
import Synchronization
import Testing
@testable import CCOGateway

/// A database path in a fresh folder, removed afterwards with whatever a test made beside the
/// database (a copy, and the log and index SQLite opens beside it).
func withWriterDatabase<T>(_ body: (String) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { dir in try await body(dir + "/a.db") }
}

func sampleRow(_ ts: Int64) -> RequestRecord {
    RequestRecord(timestampMilliseconds: ts, route: "/v1/messages", model: "claude-sonnet-4-5-20250929", status: 200,
                  latencyMilliseconds: 2, usage: TokenUsage(input: 100, output: 10, cacheRead: 5, cacheWrite: 3))
}

@Suite struct AnalyticsWriterTests {
    @Test func queuedRowsReachTheDatabaseOnFlush() async throws {
        try await withWriterDatabase { path in
            let writer = try AnalyticsWriter(path: path, retentionDays: 0, logger: Logger(label: "test"))
            let now = WallClock.nowMilliseconds()
            for i in 0 ..< 1000 { writer.record(sampleRow(now - Int64(i))) }
            #expect(writer.queueDepth == 1000)
            try await writer.flush()
            #expect(writer.queueDepth == 0)
            #expect(writer.counters.written == 1000)
            let report = try await writer.stats(range: .today, groupBy: .model)
            #expect(report.totals.requests == 1000)
            #expect(report.totals.inputTokens == 100_000)
        }
    }

    /// The writer's own thread runs at nice 19, so a query waiting for its transaction must
    /// not wait for a whole backlog: it takes the oldest batch and leaves the rest queued, in order.
    @Test func aBackgroundWriteTakesTheOldestBatchAndLeavesTheRestQueued() async throws {
        let writer = try AnalyticsWriter(path: ":memory:", retentionDays: 0, logger: Logger(label: "test"))
        let (background, _) = await BackgroundThread.start()
        let first = WallClock.nowMilliseconds() - 10_000
        let rows = AnalyticsWriter.backgroundBatch * 2 + 100
        for i in 0 ..< rows { writer.record(sampleRow(first + Int64(i))) }
        try await background.run { try writer.writeBackgroundBatch() }
        #expect(writer.counters.written == AnalyticsWriter.backgroundBatch)
        #expect(writer.queueDepth == rows - AnalyticsWriter.backgroundBatch)
        await background.stop()
        try await writer.flush()
        #expect(writer.counters.written == rows, "a flush at normal priority writes the whole queue")
        let written = try await writer.calls(after: 0, limit: rows)
        #expect(written.map(\.timestampMilliseconds) == (0 ..< rows).map { first + Int64($0) },
                "rows are written in the order they came")
    }

    @Test func aFullQueueDropsAndCountsNewRows() async throws {
        let writer = try AnalyticsWriter(path: ":memory:", retentionDays: 0, queueLimit: 10, logger: Logger(label: "test"))
        for i in 0 ..< 25 { writer.record(sampleRow(Int64(i))) }
        #expect(writer.queueDepth == 10)
        #expect(writer.counters.dropped == 15)
        try await writer.flush()
        let report = try await writer.stats(range: .all, groupBy: .model)
        #expect(report.totals.requests == 10)
    }

    /// An idle daemon beside a laptop's editor should not wake its CPU twenty times a second: with
    /// nothing queued the writer sleeps until a row comes (its next housekeeping is seconds away).
    @Test(.timeLimit(.minutes(1))) func anIdleWriterSleepsUntilARowComes() async throws {
        let writer = try AnalyticsWriter(path: ":memory:", retentionDays: 0, flushInterval: .milliseconds(10), logger: Logger(label: "test"))
        let running = Task { try await writer.run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(300))
        #expect(writer.wakeups.load(ordering: .relaxed) == 0, "no row, no subscriber: thirty flush intervals without waking")
        writer.record(sampleRow(WallClock.nowMilliseconds()))
        #expect(await CallEventsTests.waitUntil { writer.counters.written == 1 }, "the row is written a flush interval after it came")
        #expect(writer.wakeups.load(ordering: .relaxed) >= 1)
    }

    /// Calls one after another keep rows coming for hours: the writer's thread writes them a flush
    /// interval apart by itself, waking neither the writer's task nor a thread of Swift's pool for
    /// each batch (they woke ~8 threads at normal priority a batch, on the cores the calls were
    /// using), and a stop in the middle still writes every row.
    @Test(.timeLimit(.minutes(1))) func rowsThatKeepComingAreWrittenBatchAfterBatchWithoutWakingTheWritersTask() async throws {
        try await withWriterDatabase { path in
            let writer = try AnalyticsWriter(path: path, retentionDays: 0, flushInterval: .milliseconds(25), logger: Logger(label: "test"))
            let running = Task { try await writer.run() }
            let start = ContinuousClock.now
            var recorded = 0
            while ContinuousClock.now - start < .milliseconds(600) {
                writer.record(sampleRow(WallClock.nowMilliseconds()))
                recorded += 1
                try await Task.sleep(for: .milliseconds(1))
            }
            let (written, wakeups) = (writer.counters.written, writer.wakeups.load(ordering: .relaxed))
            #expect(written >= recorded / 2, "written as they came, not at the end: \(written) of \(recorded)")
            #expect(wakeups <= 3, "the writer's task woke \(wakeups) times in 24 flush intervals")
            running.cancel()
            try await running.value
            #expect(writer.counters.written == recorded, "the rows queued at the stop are written too")
        }
    }

    /// A checkpoint syncs the write-ahead log and the database file to disk: the writer folds a log
    /// of `quietCheckpointPages` or more once rows stop coming for a second, between calls rather
    /// than in the commit of one, and leaves a smaller log to grow (no disk sync for a few rows).
    @Test(.timeLimit(.minutes(1)), arguments: [(1, true), (100_000, false)])
    func theLogIsFoldedOnceRowsStopComingWhenItHoldsEnoughPages(pages: Int, folded: Bool) async throws {
        try await withWriterDatabase { path in
            let writer = try AnalyticsWriter(path: path, retentionDays: 0, flushInterval: .milliseconds(10),
                                             quietCheckpointPages: pages, logger: Logger(label: "test"))
            let running = Task { try await writer.run() }
            defer { running.cancel() }
            let now = WallClock.nowMilliseconds()
            for i in 0 ..< 300 { writer.record(sampleRow(now - Int64(i))) }
            #expect(await CallEventsTests.waitUntil { writer.counters.written == 300 })
            let written = ContinuousClock.now
            let fileSize = { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1 }
            let sizeBefore = fileSize()
            #expect(writer.logPages.load(ordering: .relaxed) > 0, "the rows are in the log first")
            while writer.logPages.load(ordering: .relaxed) > 0 && ContinuousClock.now - written < .seconds(3) {
                try await Task.sleep(for: .milliseconds(20))
            }
            let waited = ContinuousClock.now - written
            if folded {
                #expect(writer.logPages.load(ordering: .relaxed) == 0)
                #expect(waited >= .milliseconds(900), "folded only after a quiet second, not at once: \(waited)")
                #expect(fileSize() > sizeBefore, "the rows are in the database file itself")
            } else {
                #expect(writer.logPages.load(ordering: .relaxed) > 0, "a log below the bound is left to grow")
                #expect(fileSize() == sizeBefore)
            }
        }
    }

    /// `cco daemon stop` leaves the whole database in analytics.db: a user who copies that one
    /// file (a backup, a bug report) copies every call, and a query after the stop is refused
    /// instead of reaching a closed connection.
    @Test(.timeLimit(.minutes(1))) func aStoppedWriterLeavesEveryRowInTheOneFileAndRefusesQueries() async throws {
        try await withWriterDatabase { path in
            let writer = try AnalyticsWriter(path: path, retentionDays: 0, flushInterval: .milliseconds(10), logger: Logger(label: "test"))
            let running = Task { try await writer.run() }
            let now = WallClock.nowMilliseconds()
            for i in 0 ..< 300 { writer.record(sampleRow(now - Int64(i))) }
            #expect(await CallEventsTests.waitUntil { writer.counters.written == 300 })
            #expect(FileManager.default.fileExists(atPath: path + "-wal"), "while running, commits go to the write-ahead log")
            for i in 0 ..< 5 { writer.record(sampleRow(now + Int64(i))) }
            running.cancel()
            try await running.value
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"), "the log was folded into the database and removed")
            let copy = path + ".copy"
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            defer { unlink(copy) }
            let copied = try Connection(path: copy, walMode: false, readOnly: true)
            #expect(try copied.scalar("PRAGMA integrity_check") == .text("ok"))
            #expect(try copied.scalar("SELECT count(*) FROM requests") == .integer(305), "the rows queued at the stop are in it too")
            try copied.close()
            await #expect(throws: AnalyticsWriter.Stopped.self) { try await writer.stats(range: .all, groupBy: .model) }
        }
    }

    /// A daemon started after weeks off deletes what retention no longer keeps a batch at a time,
    /// every old row of them, and none of the kept ones.
    @Test(.timeLimit(.minutes(1))) func retentionDeletesEveryOldRowInBatchesAndKeepsTheRest() async throws {
        try await withWriterDatabase { path in
            let now = WallClock.nowMilliseconds()
            let day: Int64 = 86_400_000
            let old = (0 ..< 2 * AnalyticsWriter.retentionBatch + 500).map { sampleRow(now - 100 * day + Int64($0)) }
            try AnalyticsStore(path: path).write(old + [sampleRow(now - 89 * day), sampleRow(now)], projects: [])
            let writer = try AnalyticsWriter(path: path, retentionDays: 90, flushInterval: .milliseconds(10), logger: Logger(label: "test"))
            let running = Task { try await writer.run() }
            // The writer's thread runs at the lowest priority: on a busy host it may take a while.
            let deadline = ContinuousClock.now + .seconds(20)
            let reader = try Connection(path: path, walMode: true, readOnly: true)
            while try reader.scalar("SELECT count(*) FROM requests") != .integer(2), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            try reader.close()
            running.cancel()
            try await running.value
            #expect(try AnalyticsStore(path: path).rowCount() == 2)
        }
    }

    /// A daemon replaced by `restart` writes its last calls to the same database; the first call
    /// checked after a quiet spell counts them, not only the next housekeeping.
    @Test func whatAnotherProcessWroteCountsAtTheFirstCheckAfterAQuietSpell() async throws {
        try await withWriterDatabase { path in
            var config = BudgetConfig()
            config.dailyUSD = 1
            let ledger = BudgetLedger(config: config)
            let writer = try AnalyticsWriter(path: path, retentionDays: 0, flushInterval: .milliseconds(50), ledger: ledger, logger: Logger(label: "test"))
            try await writer.loadBudgets(session: nil)
            #expect(ledger.check(session: nil, project: nil) == nil)
            var spent = sampleRow(WallClock.nowMilliseconds())
            spent.costUSD = 2
            try AnalyticsStore(path: path).write([spent], projects: [])
            try await Task.sleep(for: .milliseconds(100))
            #expect(writer.budgetsNeedReading(session: nil), "the ledger last looked more than a flush interval ago")
            try await writer.loadBudgets(session: nil)
            #expect(ledger.check(session: nil, project: nil)?.spentUSD == 2)
        }
    }

    /// While calls come, the ledger is fresh and a check reads nothing.
    @Test func aLedgerReadWithinTheFlushIntervalIsNotReadAgain() async throws {
        var config = BudgetConfig()
        config.dailyUSD = 1
        let writer = try AnalyticsWriter(path: ":memory:", retentionDays: 0, flushInterval: .seconds(30), ledger: BudgetLedger(config: config),
                                         logger: Logger(label: "test"))
        #expect(writer.budgetsNeedReading(session: nil), "not read yet")
        try await writer.loadBudgets(session: nil)
        #expect(!writer.budgetsNeedReading(session: nil))
    }

    @Test func aCallIsPricedWithTheTableInForceAfterAReload() async throws {
        let writer = try AnalyticsWriter(path: ":memory:", retentionDays: 0, logger: Logger(label: "test"))
        var config = DaemonConfig()
        let gateway = Gateway(config: config, prices: .builtIn, writer: writer, metrics: GatewayMetrics(), loop: MultiThreadedEventLoopGroup.singleton.next(), logger: Logger(label: "test"))
        config.pricing = ["claude-sonnet-4-5": PriceOverride(input: 1_000_000, output: 0, cacheRead: 0, cacheWrite: 0)]
        gateway.apply(config, prices: .builtIn)
        var call = GatewayCall(route: .messages, client: nil, pricing: gateway.pricing)
        call.model = "claude-sonnet-4-5-20250929"
        call.status = 200
        call.usage = TokenUsage(input: 2)
        writer.record(call.record())
        let report = try await writer.stats(range: .today, groupBy: .model)
        #expect(report.totals.costUSD == 2)
        await gateway.shutdown()
    }
}

@Suite struct CallSubscriptionTests {
    /// What a daemon replaced by a restart writes while it finishes its streams reaches the new
    /// daemon's Live view: calls are read back from the database, not only taken from this
    /// process's own writes.
    @Test(.timeLimit(.minutes(1))) func callsWrittenByAnotherProcessReachTheSubscribersInIDOrder() async throws {
        try await withWriterDatabase { path in
            let writer = try AnalyticsWriter(path: path, retentionDays: 0, logger: Logger(label: "test"))
            let other = try AnalyticsStore(path: path)
            try other.insert([sampleRow(1)])
            let stream = try #require(try await writer.subscribeToCalls())
            writer.record(sampleRow(2))
            try await writer.flush()
            try other.insert([sampleRow(3)])
            writer.record(sampleRow(4))
            try await writer.flush()
            var ids: [Int64] = []
            for await event in stream {
                if case .call(let call) = event { ids.append(call.id) }
                if ids.count == 3 { break }
            }
            #expect(ids == [2, 3, 4], "the row written before subscribing is not sent; the other process's row comes in its place")
        }
    }

    /// A subscriber that arrives after everyone else left starts from the calls written from then
    /// on, not from where the last one left off (rows another process wrote meanwhile included).
    @Test(.timeLimit(.minutes(1))) func aNewSubscriberAfterAQuietSpellGetsOnlyNewCalls() async throws {
        try await withWriterDatabase { path in
            let writer = try AnalyticsWriter(path: path, retentionDays: 0, logger: Logger(label: "test"))
            do {
                let first = try #require(try await writer.subscribeToCalls())
                writer.record(sampleRow(1))
                try await writer.flush()
                for await event in first { if case .call = event { break } }
            }
            #expect(await CallEventsTests.waitUntil { !writer.events.hasSubscribers })
            // Written by another process while nobody listens.
            try AnalyticsStore(path: path).insert([sampleRow(2)])
            let second = try #require(try await writer.subscribeToCalls())
            writer.record(sampleRow(3))
            try await writer.flush()
            var ids: [Int64] = []
            for await event in second {
                if case .call(let call) = event { ids.append(call.id) }
                if !ids.isEmpty { break }
            }
            #expect(ids == [3], "row 2 was written before this subscriber came")
        }
    }
}
