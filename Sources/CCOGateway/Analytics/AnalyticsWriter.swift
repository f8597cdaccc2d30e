#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOCore
public import CCOAnalytics
import CCOSQLite
import DequeModule
public import Logging
public import NIOPosix
public import ServiceLifecycle
import Synchronization

/// Records gateway requests off the request path: `record` appends to a queue in memory, and this
/// service writes the queue to SQLite in one transaction `flushInterval` after its first row, on a
/// ``BackgroundThread`` of its own (queries, and the last write at a stop, run on NIO's blocking
/// thread pool at normal priority). A graceful stop writes what is queued; a SIGKILL loses at most
/// the rows of the last `flushInterval` (plus the write in progress).
///
/// With nothing queued it sleeps until a row comes, waking only for its housekeeping (the
/// database check every 5 s, retention hourly, every 250 ms while someone follows `/api/events`,
/// and once, a second after the last row, to fold a write-ahead log of 1000 pages or more back
/// into the database file): an idle daemon costs the machine no wake-ups of its own.
///
/// Keep it before the HTTP server in the service group: the group stops services in reverse
/// order, so the writer's final flush happens after the server has drained its requests.
public final class AnalyticsWriter: Service, Sendable {
    public struct Counters: Sendable, Hashable {
        public var written = 0
        /// Rows given up when the queue overflowed while the database could not be written.
        public var dropped = 0
        public var failedWrites = 0

        public init() {}
    }

    private struct Queue {
        /// Oldest first: the background thread takes a batch from the front.
        var rows: Deque<RequestRecord> = []
        var counters = Counters()
        var retentionDays: Int
        var lastWriteErrorLog: ContinuousClock.Instant?
    }

    /// nil once ``run()`` has written the last rows and closed the database.
    private let store: Mutex<AnalyticsStore?>
    /// A connection of the writer's own to the database file, for the checkpoints it makes when
    /// rows stop coming: a checkpoint syncs the log and the file to disk, and a query or a call's
    /// budget check (the first call after a pause reads the ledger) should not wait for that
    /// behind the store's lock. nil for a database in memory, which has no log.
    private let checkpointer: Mutex<Connection?>
    private let queue: Mutex<Queue>
    private let databaseProblem = Mutex<String?>(nil)
    public let flushInterval: Duration
    /// The most rows kept in memory while the database cannot be written; past it, new rows are dropped.
    public let queueLimit: Int
    private let threadPool: NIOThreadPool
    /// Gives calls of a Claude Code session their project; nil leaves projects to `x-cco-project`.
    private let projects: ProjectResolver?
    /// What each budget has spent: loaded from the database here, fed every row written to it.
    public let ledger: BudgetLedger?
    /// Each call once it is written, for `/api/events`.
    public let events = CallEvents()
    /// The last row id handed to the subscribers of ``events``, set to the last row written when a
    /// first subscriber arrives. Read and moved with the store locked.
    private let eventCursor = Mutex<Int64>(0)
    /// When the ledger last counted the rows other processes wrote.
    private let ledgerCaughtUp = Mutex<ContinuousClock.Instant?>(nil)
    /// Rung when a row is queued into an empty queue, or someone subscribes to calls.
    private let alarm = Alarm()
    /// Times the writer's loop woke up, for the tests that it sleeps while idle.
    let wakeups = Atomic<Int>(0)
    /// Pages of write-ahead log the last write or checkpoint left unfolded.
    let logPages = Atomic<Int>(0)
    /// Pages of write-ahead log that the writer folds back into the database file once no row has
    /// come for ``quietBeforeCheckpoint`` (SQLite's own bound; a commit folds it only at
    /// ``AnalyticsStore/checkpointPagesUnderLoad``).
    let quietCheckpointPages: Int
    private let logger: Logger

    /// Opens the database at `path` (`:memory:` for none on disk), migrating it.
    public init(path: String, retentionDays: Int, flushInterval: Duration = .milliseconds(50),
                queueLimit: Int = 200_000, threadPool: NIOThreadPool = .singleton, projects: ProjectResolver? = nil,
                ledger: BudgetLedger? = nil, quietCheckpointPages: Int = 1000, logger: Logger) throws {
        let opened = try AnalyticsStore(path: path)
        // Read at once only when a budget is set: a reload that sets the first one reads it then.
        if let ledger, ledger.isActive { try ledger.load(from: opened) }
        store = Mutex(opened)
        checkpointer = Mutex(path == ":memory:" ? nil : try Connection(path: path))
        self.ledger = ledger
        queue = Mutex(Queue(retentionDays: retentionDays))
        self.flushInterval = flushInterval
        self.queueLimit = queueLimit
        self.threadPool = threadPool
        self.projects = projects
        self.quietCheckpointPages = quietCheckpointPages
        self.logger = logger
    }

    /// Runs `body` with the store locked.
    ///
    /// - Throws: ``Stopped`` once the writer has closed the database, or `body`'s error.
    private func withStore<T: Sendable>(_ body: (AnalyticsStore) throws -> T) throws -> T {
        try store.withLock { store in
            guard let store else { throw Stopped() }
            return try body(store)
        }
    }

    /// What a query made after the writer stopped gets: the database is closed.
    public struct Stopped: Error, CustomStringConvertible {
        public var description: String { "the analytics database is closed: the daemon is stopping" }
    }

    /// Queues `record` (already priced by the gateway).
    public func record(_ record: RequestRecord) {
        let first = queue.withLock { queue -> Bool in
            // Full only when the database has not been writable for a while: new rows are counted
            // and dropped (O(1)), so a full queue never slows requests down.
            guard queue.rows.count < queueLimit else {
                queue.counters.dropped += 1
                return false
            }
            queue.rows.append(record)
            return queue.rows.count == 1
        }
        if first { alarm.ring() }
    }

    /// A reload: the new retention applies at the next hourly pass.
    public func apply(retentionDays: Int) {
        queue.withLock { $0.retentionDays = retentionDays }
    }

    public var counters: Counters { queue.withLock { $0.counters } }
    public var queueDepth: Int { queue.withLock { $0.rows.count } }

    /// Why the database does not answer, or nil when it does (for `/health`).
    public var problem: String? { databaseProblem.withLock { $0 } }

    /// Writes every queued row now.
    ///
    /// - Throws: the database's error; the rows stay queued for the next attempt.
    public func flush() async throws {
        guard queue.withLock({ !$0.rows.isEmpty }) else { return }
        try await writeQueued()
    }

    /// Writes what is queued once any write in progress is done, on NIO's thread pool: a query made
    /// after this returns sees every row queued before it was called. (Taking the queue outside the
    /// store's lock let a query run between another flush taking its rows and writing them.)
    private func writeQueued() async throws {
        try await threadPool.runIfActive { [self] in try self.writeQueuedNow(atMost: .max, givingWay: false) }
    }

    /// What the background thread writes at a time, on the calling thread: at most
    /// ``backgroundBatch`` rows, the oldest, giving way between its statements. A transaction there
    /// holds the store for as long as a busy machine leaves that thread waiting for a core, and a
    /// query (or a call's budget check) waits for it at normal priority.
    func writeBackgroundBatch() throws {
        try writeQueuedNow(atMost: Self.backgroundBatch, givingWay: true)
    }

    /// At most `limit` of the oldest rows, in one transaction, on the calling thread; `givingWay` on
    /// the background thread.
    private func writeQueuedNow(atMost limit: Int, givingWay: Bool) throws {
        try withStore { store in
            let batch = Array(take(atMost: limit))
            guard !batch.isEmpty else { return }
            do {
                try write(batch, to: store, givingWay: givingWay)
                queue.withLock { $0.counters.written += batch.count }
            } catch {
                queue.withLock { queue in
                    queue.rows.insert(contentsOf: batch, at: 0)
                    queue.counters.failedWrites += 1
                    if queue.rows.count > queueLimit {
                        let excess = queue.rows.count - queueLimit
                        queue.rows.removeLast(excess)
                        queue.counters.dropped += excess
                    }
                }
                throw error
            }
        }
    }

    /// The oldest queued rows, at most `limit`. The queue's lock is also taken by every call the
    /// serving loop records, so it is held for no work that grows with the batch, and for no
    /// allocation: a whole queue is taken by swapping its storage out (its rows copied, and let go
    /// of, after the lock) for storage made before the lock with room for as many again. (Copied
    /// under the lock, a batch of a few hundred rows held the loop for as long, whenever the
    /// writer's thread, at nice 19, lost its core meanwhile; the storage made under it, tens of KB
    /// and at times a system call to grow the heap, did the same less often.)
    private func take(atMost limit: Int) -> Deque<RequestRecord> {
        var taken = Deque<RequestRecord>(minimumCapacity: min(queueDepth, limit) + 16)
        return queue.withLock { queue in
            guard queue.rows.count > limit else {
                swap(&taken, &queue.rows)
                return taken
            }
            taken.append(contentsOf: queue.rows.prefix(limit))
            queue.rows.removeFirst(limit)
            return taken
        }
    }

    /// Inserts `batch` with the projects of its sessions, gives earlier calls of a session whose
    /// project was just found that project, and keeps the latest rate-limit headers.
    /// On the background thread (`givingWay`), other threads may run between its INSERT statements
    /// (of up to 16 rows each).
    private func write(_ batch: [RequestRecord], to store: AnalyticsStore, givingWay: Bool) throws {
        var batch = batch
        var found: [(session: String, project: String)] = []
        if let projects {
            for index in batch.indices where batch[index].attribution.project == nil {
                guard let session = batch[index].attribution.session, let result = projects.project(ofSession: session) else { continue }
                batch[index].attribution.project = result.project
                if result.isNew { found.append((session, result.project)) }
            }
        }
        do {
            // Counted from the transaction's start: finding projects may read a session's files first.
            let courtesy = givingWay ? BackgroundThread.Courtesy() : nil
            let ids = try store.write(batch, projects: found, betweenStatements: { courtesy?.giveWay() })
            logPages.store(store.logPages, ordering: .relaxed)
            publishNewCalls(from: store)
            if let ledger, let ids {
                ledger.wrote(batch, ids: ids)
                for (session, project) in found { ledger.assign(project: project, toSession: session) }
                try? catchUp(ledger, from: store)
            }
        } catch {
            for (session, _) in found { projects?.forget(session) }
            throw error
        }
    }

    /// Whether a check of a call of `session` must read the database first: the ledger or the
    /// session's spend is not loaded yet, or the ledger last counted what other processes wrote
    /// (a daemon replaced by `restart`) more than `flushInterval` ago. While calls come, every
    /// write counts them, so only the first call after a quiet spell reads.
    public func budgetsNeedReading(session: String?) -> Bool {
        guard let ledger else { return false }
        if !ledger.isLoaded || ledger.needsSession(session) { return true }
        let last = ledgerCaughtUp.withLock { $0 }
        return last.map { ContinuousClock().now - $0 > flushInterval } ?? true
    }

    /// Reads what `session` has spent into the ledger (and the ledger itself, the first time), and
    /// what other processes wrote since the ledger last looked, before a call of it is checked.
    public func loadBudgets(session: String?) async throws {
        guard let ledger, budgetsNeedReading(session: session) else { return }
        try? await writeQueued()
        try await threadPool.runIfActive { [self] in
            try self.withStore { store in
                if !ledger.isLoaded {
                    try ledger.load(from: store)
                    self.ledgerCaughtUp.withLock { $0 = ContinuousClock().now }
                } else {
                    try self.catchUp(ledger, from: store)
                }
                if let session, ledger.needsSession(session) { try ledger.loadSession(session, from: store) }
            }
        }
    }

    /// Counts in `ledger` the rows other processes wrote. Call with the store locked.
    private func catchUp(_ ledger: BudgetLedger, from store: AnalyticsStore) throws {
        let now = ContinuousClock().now
        try ledger.catchUp(from: store)
        ledgerCaughtUp.withLock { $0 = now }
    }

    /// `/api/budget`: every budget, today's and this month's spend, and `session`'s figures.
    public func budgetReport(session: String?) async throws -> BudgetReport {
        try? await writeQueued()
        let ledger = ledger ?? BudgetLedger(config: BudgetConfig())
        let now = WallClock.nowMilliseconds()
        return try await threadPool.runIfActive { [self] in
            try self.withStore { store in
                if !ledger.isLoaded { try ledger.load(from: store, nowMilliseconds: now) }
                if let session, ledger.needsSession(session) { try ledger.loadSession(session, from: store, nowMilliseconds: now) }
                return try store.budgetReport(ledger: ledger, session: session, nowMilliseconds: now)
            }
        }
    }

    /// Counts what other processes wrote to the database (a replaced daemon finishing its streams).
    private func catchUpBudgets(on background: BackgroundThread) async {
        guard let ledger, ledger.isLoaded else { return }
        try? await background.run { [self] in
            try self.withStore { store in try self.catchUp(ledger, from: store) }
        }
    }

    /// Totals for `range`, after writing what is queued so that they include every answered request.
    public func stats(range: StatsRange, groupBy: StatsGrouping) async throws -> StatsReport {
        try await stats(StatsFilter(range: range), groupBy: groupBy)
    }

    /// Totals of the calls `filter` covers, after writing what is queued.
    public func stats(_ filter: StatsFilter, groupBy: StatsGrouping) async throws -> StatsReport {
        try? await writeQueued()
        let now = WallClock.nowMilliseconds()
        return try await threadPool.runIfActive { [self] in
            try self.withStore { store in try store.stats(filter, groupBy: groupBy, nowMilliseconds: now) }
        }
    }

    /// The sessions `filter` covers, after writing what is queued.
    public func sessions(_ filter: StatsFilter, limit: Int) async throws -> SessionList {
        try? await writeQueued()
        let now = WallClock.nowMilliseconds()
        return try await threadPool.runIfActive { [self] in
            try self.withStore { store in try store.sessions(filter, limit: limit, nowMilliseconds: now) }
        }
    }

    /// A subscription to every call written from now on, by this process or another on the same
    /// database (a daemon replaced by `restart` finishing its streams), in id order; nil once the
    /// daemon drains.
    public func subscribeToCalls() async throws -> AsyncStream<CallEvents.Event>? {
        try await threadPool.runIfActive { [self] in
            try self.withStore { store -> AsyncStream<CallEvents.Event>? in
                guard let (stream, first) = self.events.subscribe() else { return nil }
                // Nobody listened: what was written meanwhile is history, not news.
                if first {
                    let last = try store.lastCallID()
                    self.eventCursor.withLock { $0 = last }
                }
                return stream
            }
        }.map { stream in
            // The writer now looks for rows other processes write every foreignCallInterval.
            alarm.ring()
            return stream
        }
    }

    /// Hands the subscribers the calls written since the last it handed them, read back from the
    /// database in id order, so that rows another process wrote are among them. Call with the
    /// store locked.
    private func publishNewCalls(from store: AnalyticsStore) {
        guard events.hasSubscribers,
              let calls = try? store.calls(after: eventCursor.withLock({ $0 }), limit: 1000), let last = calls.last else { return }
        eventCursor.withLock { $0 = last.id }
        events.publish(calls)
    }

    /// Rows other processes wrote reach the subscribers within this interval.
    static let foreignCallInterval: Duration = .milliseconds(250)

    private func publishForeignCalls(on background: BackgroundThread) async {
        guard events.hasSubscribers else { return }
        try? await background.run { [self] in
            try self.withStore { store in self.publishNewCalls(from: store) }
        }
    }

    /// The calls `filter` covers, the most recent first, after writing what is queued.
    public func calls(_ filter: StatsFilter, limit: Int) async throws -> CallList {
        try? await writeQueued()
        let now = WallClock.nowMilliseconds()
        return try await threadPool.runIfActive { [self] in
            try self.withStore { store in try store.calls(filter, limit: limit, nowMilliseconds: now) }
        }
    }

    /// The calls written after row `id` (by any process), oldest first, after writing what is queued.
    public func calls(after id: Int64, limit: Int) async throws -> [CallRecord] {
        try? await writeQueued()
        return try await threadPool.runIfActive { [self] in
            try self.withStore { store in try store.calls(after: id, limit: limit) }
        }
    }

    /// How long no row comes before the writer folds the write-ahead log (``quietCheckpointPages``).
    static let quietBeforeCheckpoint: Duration = .seconds(1)

    /// How often the database is checked for `/health` (and the ledger counts other processes'
    /// rows) while nothing is written.
    static let pingInterval: Duration = .seconds(5)
    /// The most rows one transaction of the background thread writes (~2 ms of a core).
    static let backgroundBatch = 512
    static let retentionInterval: Duration = .seconds(3600)
    /// Rows retention deletes in one transaction. The store is locked while it runs, at the
    /// background thread's low priority: a query (a statusline's, the dashboard's) waits for one
    /// batch, not for a month of rows (200,000 took 0.25 s in one transaction on an idle core,
    /// batches of 1000 at most 12 ms each).
    static let retentionBatch = 1000

    public func run() async throws {
        let clock = ContinuousClock()
        var lastRetention = clock.now
        var lastPing = clock.now
        var lastForeignCheck = clock.now
        // When the last write that left a log to fold ended: the log is folded once no row has
        // come for quietBeforeCheckpoint since.
        var logWrittenAt: ContinuousClock.Instant?
        let (background, lowered) = await BackgroundThread.start()
        if case .failure(let errno) = lowered {
            logger.debug("analytics: writing at normal priority, the system refused a background one: \(errno)")
        }
        await applyRetention(on: background)
        await ping(on: background)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            var wakeAt = min(lastPing + Self.pingInterval, lastRetention + Self.retentionInterval)
            if let logWrittenAt { wakeAt = min(wakeAt, logWrittenAt + Self.quietBeforeCheckpoint) }
            if events.hasSubscribers { wakeAt = min(wakeAt, lastForeignCheck + Self.foreignCallInterval) }
            if queueDepth == 0 {
                let (alarm, deadline) = (alarm, wakeAt)
                try? await cancelWhenGracefulShutdown { await alarm.sleep(until: deadline) }
            }
            wakeups.add(1, ordering: .relaxed)
            if queueDepth > 0 {
                await writeWhileRowsCome(until: wakeAt, clock: clock, on: background)
                if logPages.load(ordering: .relaxed) >= quietCheckpointPages { logWrittenAt = clock.now }
            }
            let now = clock.now
            if let written = logWrittenAt, queueDepth == 0, now - written >= Self.quietBeforeCheckpoint {
                await checkpoint(on: background)
                logWrittenAt = nil
            }
            if events.hasSubscribers && now - lastForeignCheck >= Self.foreignCallInterval {
                await publishForeignCalls(on: background)
                lastForeignCheck = now
            }
            if now - lastPing >= Self.pingInterval {
                await ping(on: background)
                await catchUpBudgets(on: background)
                lastPing = now
            }
            if now - lastRetention >= Self.retentionInterval {
                await applyRetention(on: background)
                lastRetention = now
            }
        }
        // The server has drained (it stops before us): write the last rows and close, in a task of
        // their own so that a cancellation (the group's, past its shutdown bound) does not abandon
        // them: the process exits next.
        await Task { await self.finish() }.value
        await background.stop()
    }

    private func finish() async {
        do {
            try await flush()
        } catch {
            logger.error("analytics: \(queueDepth) rows could not be written at stop: \(error)")
        }
        await closeStore()
    }

    /// Closes the database. The last connection to close folds the write-ahead log back into
    /// `analytics.db` and removes it, so that a stopped daemon leaves the whole database in one
    /// file (to copy, back up or open read-only); a process killed instead leaves the log, which
    /// the next open replays.
    private func closeStore() async {
        do {
            try await threadPool.runIfActive { [self] in
                // The checkpointer first: the store's connection, closing last, folds the log.
                try self.checkpointer.withLock { connection in
                    try connection?.close()
                    connection = nil
                }
                try self.store.withLock { store in
                    try store?.close()
                    store = nil
                }
            }
        } catch {
            logger.error("analytics: cannot close the database: \(error)")
        }
    }

    /// Writes the rows as they come, on the background thread: what comes within `flushInterval` of
    /// the first row in one transaction (a queue of a whole batch or more at once, a batch a turn),
    /// and so on for as long as rows keep coming. It returns once a whole interval brings no row, at
    /// `deadline` (the next housekeeping), when the first subscriber to calls comes or the last one
    /// goes, and at a stop (leaving the rows queued for the last write).
    ///
    /// Between batches the thread sleeps by itself, so that a batch wakes no thread but that one,
    /// at its low priority. (With a `Task.sleep` and a hop to the thread and back for each batch,
    /// Swift's timer and pool threads woke ~8 times a batch at normal priority, on the cores the
    /// calls were using: docs/benchmarks.md.)
    /// A failure (a full disk, say) keeps the rows queued and is logged at most every 30 s so that
    /// it does not flood the log; the next turn of ``run()`` tries again.
    private func writeWhileRowsCome(until deadline: ContinuousClock.Instant, clock: ContinuousClock, on background: BackgroundThread) async {
        let subscribed = events.hasSubscribers
        let stop = StopSignal()
        do {
            try await withTaskCancellationOrGracefulShutdownHandler {
                try await background.run { [self] in
                    repeat {
                        // A backlog (the database could not be written for a while) goes a batch a
                        // turn of the task, as it did: a query waiting for the store gets it between
                        // two batches, not once the whole backlog is written.
                        let backlog = queueDepth >= Self.backgroundBatch
                        if !backlog { sleepFor(flushInterval) }
                        // No row in a whole interval: the alarm wakes the task for the next one.
                        guard !stop.isSet, queueDepth > 0 else { return }
                        try writeBackgroundBatch()
                        if backlog { return }
                    } while clock.now < deadline && events.hasSubscribers == subscribed && !stop.isSet
                }
            } onCancelOrGracefulShutdown: {
                stop.set()
            }
        } catch is CancellationError {
            // Stopped before the thread took the work (`runIfActive`): the rows stay queued for the last write.
        } catch {
            let shouldLog = queue.withLock { queue in
                guard queue.lastWriteErrorLog.map({ clock.now - $0 > .seconds(30) }) ?? true else { return false }
                queue.lastWriteErrorLog = clock.now
                return true
            }
            if shouldLog { logger.error("analytics: cannot write \(queueDepth) queued rows, will retry: \(error)") }
        }
    }

    /// Tells the background thread's batches to end: set at a stop (the task's cancellation or the
    /// service group's graceful shutdown), read between batches.
    private final class StopSignal: Sendable {
        private let flag = Atomic<Bool>(false)
        var isSet: Bool { flag.load(ordering: .acquiring) }
        func set() { flag.store(true, ordering: .releasing) }
    }

    private func applyRetention(on background: BackgroundThread) async {
        let days = queue.withLock { $0.retentionDays }
        guard days > 0 else { return }
        let cutoff = WallClock.nowMilliseconds() - Int64(days) * 86_400_000
        var deleted = 0
        do {
            // A transaction at a time, each holding the store only as long as a write batch does.
            while true {
                let batch = try await background.run { [self] in
                    try self.withStore { store in try store.deleteRows(before: cutoff, limit: Self.retentionBatch) }
                }
                deleted += batch
                if batch < Self.retentionBatch || Task.isCancelled { break }
            }
            if deleted > 0 { logger.info("analytics: removed \(deleted) rows older than \(days) days") }
        } catch {
            logger.warning("analytics: retention failed: \(error)")
        }
    }

    /// Folds the write-ahead log back into the database file: rows have stopped coming for a
    /// moment, so its disk work falls between calls rather than on them.
    private func checkpoint(on background: BackgroundThread) async {
        do {
            try await background.run { [self] in
                try self.checkpointer.withLock { connection in
                    guard let connection else { return }
                    self.logPages.store(try connection.checkpoint(), ordering: .relaxed)
                }
            }
        } catch {
            logger.debug("analytics: the write-ahead log could not be folded now, a later commit will: \(error)")
        }
    }

    private func ping(on background: BackgroundThread) async {
        let problem: String?
        do {
            try await background.run { [self] in try self.withStore { store in try store.ping() } }
            problem = nil
        } catch {
            problem = "\(error)"
        }
        databaseProblem.withLock { $0 = problem }
    }
}
