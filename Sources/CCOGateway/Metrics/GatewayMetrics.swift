public import CCOAnalytics
public import CCOCore
import CoreMetrics
import Prometheus
import Synchronization

/// The daemon's metrics, recorded through swift-metrics into a Prometheus registry that belongs to
/// this daemon (no global `MetricsSystem.bootstrap`), and rendered by `GET /metrics`.
public final class GatewayMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// Counters that mirror totals kept elsewhere (the cache's, the writer's) advance by the
    /// difference since the last scrape.
    private let counters = HandleCache<String, CoreMetrics.Counter>()
    private let timers = HandleCache<String, CoreMetrics.Timer>()
    /// `cco_cost_usd_total` and `cco_saved_usd_total` by model.
    private let money = HandleCache<Money, FloatingPointCounter>()
    /// Per route, method and status, and per model and source: the handles one request or one
    /// call's tokens are recorded in, found by one lookup rather than one per metric, keyed by the
    /// values themselves (no label strings are built per request). A model's token counters are
    /// all made at its first call (the kinds it has not used yet at 0).
    private let answered = HandleCache<Answered, (requests: CoreMetrics.Counter, duration: CoreMetrics.Timer)>()
    private let usage = HandleCache<Usage, UsageHandles>()

    private struct Answered: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private struct Usage: Hashable {
        let model: String
        let source: String
    }

    private struct Money: Hashable {
        let name: String
        let model: String
    }
    private let mirrored = Mutex<(cache: ResponseCache<CachedResponse>.Statistics, writer: AnalyticsWriter.Counters)>(
        (.init(), .init()))

    public init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
        ]
        self.factory = factory
    }

    /// One answered HTTP request, by route pattern (not raw path, so the label set stays bounded).
    func requestAnswered(route: String, method: String, status: Int, duration: Duration) {
        let handles = answered.handle(Answered(route: route, method: method, status: status)) {
            (counter("cco_http_requests_total", [("route", route), ("method", method), ("status", String(status))]),
             timer("cco_http_request_duration_seconds", [("route", route)]))
        }
        handles.requests.increment()
        handles.duration.recordNanoseconds(Self.nanoseconds(duration))
    }

    /// The counters of one model's usage from one source (`upstream` or `cache`).
    private struct UsageHandles: Sendable {
        /// `cco_tokens_total` by kind, in the order of ``kinds``.
        var tokens: [CoreMetrics.Counter]

        static let kinds = ["input", "output", "cache_read", "cache_write", "cache_write_1h"]

        static func counts(_ usage: TokenUsage) -> [Int] {
            [usage.input, usage.output, usage.cacheRead, usage.cacheWrite, usage.cacheWrite1h]
        }
    }

    /// Tokens and money of one gateway call, from its priced analytics row.
    func usageRecorded(_ row: RequestRecord) {
        let usage = row.usage
        let model = row.model ?? "unknown"
        let source = row.cacheHit ? "cache" : "upstream"
        let handles = self.usage.handle(Usage(model: model, source: source)) {
            UsageHandles(tokens: UsageHandles.kinds.map { counter("cco_tokens_total", [("model", model), ("kind", $0), ("source", source)]) })
        }
        for (counter, count) in zip(handles.tokens, UsageHandles.counts(usage)) where count > 0 {
            counter.increment(by: count)
        }
        if usage.webSearchRequests > 0, !row.cacheHit {
            counter("cco_web_search_requests_total", [("model", model)]).increment(by: usage.webSearchRequests)
        }
        if row.incomplete { counter("cco_incomplete_streams_total", [("model", model)]).increment() }
        guard row.model != nil, row.priced, usage != .zero else { return }
        let name = row.cacheHit ? "cco_saved_usd_total" : "cco_cost_usd_total"
        money.handle(Money(name: name, model: model)) { FloatingPointCounter(label: name, dimensions: [("model", model)], factory: factory) }
            .increment(by: row.cacheHit ? row.savedUSD : row.costUSD)
    }

    /// A request refused before any route: `host`, `origin` or `cross_site` (``SameOriginGuard``).
    func requestRefused(_ reason: String) {
        counter("cco_requests_refused_total", [("reason", reason)]).increment()
    }

    /// A call refused because `budget` (its label) is spent.
    func budgetRefused(_ budget: String) {
        counter("cco_budget_refusals_total", [("budget", budget)]).increment()
    }

    /// An upstream call that got no answer: `unreachable` or `timeout`.
    func upstreamFailed(_ reason: String) {
        counter("cco_upstream_failures_total", [("reason", reason)]).increment()
    }

    /// An upstream call sent a second time, on a new connection, because the idle connection it
    /// first went out on closed before answering.
    func upstreamSentAgain() {
        counter("cco_upstream_sent_again_total", []).increment()
    }

    /// An upstream call that cco refused before sending it: `max_connections` (every slot taken).
    func upstreamRefused(_ reason: String) {
        counter("cco_upstream_refused_total", [("reason", reason)]).increment()
    }

    /// The Prometheus text exposition, with the cache's, the analytics writer's and the upstream
    /// slots' figures as of now.
    func render(cache: ResponseCache<CachedResponse>, writer: AnalyticsWriter, upstream: UpstreamSlots) -> [UInt8] {
        let stats = cache.statistics
        let counters = writer.counters
        mirrored.withLock { last in
            advance("cco_cache_hits_total", by: stats.hits - last.cache.hits)
            advance("cco_cache_misses_total", by: stats.misses - last.cache.misses)
            advance("cco_cache_evictions_total", by: stats.evictions - last.cache.evictions)
            advance("cco_cache_expirations_total", by: stats.expirations - last.cache.expirations)
            advance("cco_analytics_rows_written_total", by: counters.written - last.writer.written)
            advance("cco_analytics_rows_dropped_total", by: counters.dropped - last.writer.dropped)
            advance("cco_analytics_failed_writes_total", by: counters.failedWrites - last.writer.failedWrites)
            last = (stats, counters)
        }
        Gauge(label: "cco_cache_bytes", factory: factory).record(stats.bytes)
        Gauge(label: "cco_cache_entries", factory: factory).record(stats.entries)
        Gauge(label: "cco_analytics_queue_depth", factory: factory).record(writer.queueDepth)
        Gauge(label: "cco_upstream_in_flight", factory: factory).record(upstream.count)
        Gauge(label: "cco_upstream_max_connections", factory: factory).record(upstream.capacity)
        if let ledger = writer.ledger {
            for status in ledger.statuses(session: nil) {
                counter("cco_budget_refusals_total", [("budget", status.budget)]).increment(by: 0)
                // A session's spend is per session: `cco budget --session ID` shows it.
                guard status.period != BudgetPeriod.session.rawValue else { continue }
                Gauge(label: "cco_budget_limit_usd", dimensions: [("budget", status.budget)], factory: factory).record(status.limitUSD)
                Gauge(label: "cco_budget_spent_usd", dimensions: [("budget", status.budget)], factory: factory).record(status.spentUSD)
            }
            if let session = ledger.config.sessionUSD {
                Gauge(label: "cco_budget_limit_usd", dimensions: [("budget", "session")], factory: factory).record(session)
            }
        }
        // Present from the first scrape, so that a rate() over it starts at 0.
        counter("cco_upstream_refused_total", [("reason", "max_connections")]).increment(by: 0)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }

    private func advance(_ name: String, by delta: Int) {
        // Created even at 0, so that every series is present from the first scrape.
        counter(name, []).increment(by: max(0, delta))
    }

    private func counter(_ name: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        counters.handle(Self.key(name, dimensions)) { CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory) }
    }

    private func timer(_ name: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        timers.handle(Self.key(name, dimensions)) { CoreMetrics.Timer(label: name, dimensions: dimensions, factory: factory) }
    }

    private static func key(_ name: String, _ dimensions: [(String, String)]) -> String {
        dimensions.reduce(name) { $0 + "\u{0}" + $1.0 + "=" + $1.1 }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let c = duration.components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }
}

/// Metric handles by name and labels, made once: making one goes through the registry's lock and
/// label hashing, too much to do per request.
private final class HandleCache<Key: Hashable & Sendable, Handle: Sendable>: Sendable {
    private let handles = Mutex<[Key: Handle]>([:])

    func handle(_ key: Key, make: () -> Handle) -> Handle {
        handles.withLock { handles in
            if let existing = handles[key] { return existing }
            let made = make()
            handles[key] = made
            return made
        }
    }
}
