#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOAnalytics
public import CCOCore
public import Logging
public import NIOCore
public import NIOHTTP1
import Synchronization

/// The Anthropic-compatible gateway: `POST /v1/messages`, `POST /v1/messages/count_tokens` and
/// `GET /v1/models` are forwarded to `upstream_url` with the client's own credentials; identical
/// non-streaming requests are answered from the response cache; every call is recorded for analytics.
public final class Gateway: Sendable {
    /// What a reload may change while the daemon runs; a reload puts a new one in place.
    final class Settings: Sendable {
        let upstream: UpstreamURL
        let cacheMode: CacheMode
        let maxRequestSize: Int
        let timeoutSeconds: Int
        /// The price data (built in, or stored by `cco pricing update`) with the config's
        /// `[pricing]` tables over it.
        let pricing: PricingTable

        init(_ config: DaemonConfig, prices: PriceData) {
            // The config loader has validated the URL; the fallback is never taken.
            upstream = UpstreamURL(config.upstreamURL) ?? UpstreamURL("https://api.anthropic.com")!
            cacheMode = config.cacheMode
            maxRequestSize = config.maxRequestSize
            timeoutSeconds = config.upstreamTimeout
            pricing = PricingTable(data: prices, overrides: config.pricing)
        }
    }

    public let cache: ResponseCache<CachedResponse>
    public let metrics: GatewayMetrics
    let writer: AnalyticsWriter
    /// The upstream's connections, on the event loop that also serves the clients' connections:
    /// a stream's events are read from the upstream and written to its client by one thread.
    private let upstreamPool: UpstreamPool
    /// Upstream calls in flight, each holding one pooled connection.
    let upstreamSlots: UpstreamSlots
    private let settings: Mutex<Settings>
    private let logger: Logger
    /// Shows a budget warning on the desktop (summary, body); set by the daemon, used while `notify` is on.
    private let notify: Mutex<(@Sendable (String, String) -> Void)?> = Mutex(nil)

    /// The largest request body the gateway accepts (`max_request_size`, as last reloaded).
    public var maxRequestSize: Int { settings.withLock { $0.maxRequestSize } }

    /// The largest upstream answer that is read whole (non-streaming); larger ones fail with 502.
    static let largestBufferedResponse = 256 << 20

    /// `loop` is the event loop the daemon serves its clients' connections on.
    public init(config: DaemonConfig, prices: PriceData, writer: AnalyticsWriter, metrics: GatewayMetrics, loop: any EventLoop, logger: Logger) {
        cache = ResponseCache(capacityBytes: config.cacheSize, ttl: .seconds(config.cacheTTL))
        self.writer = writer
        self.metrics = metrics
        self.logger = logger
        settings = Mutex(Settings(config, prices: prices))
        upstreamSlots = UpstreamSlots(capacity: config.upstreamMaxConnections)
        upstreamPool = UpstreamPool(loop: loop, connectTimeout: .seconds(Int64(config.upstreamConnectTimeout)))
    }

    /// A reload: upstream, its silence timeout, cache limits and mode, request size limit, prices,
    /// budgets. The connect timeout and the connection bound need a restart.
    public func apply(_ config: DaemonConfig, prices: PriceData) {
        settings.withLock { $0 = Settings(config, prices: prices) }
        writer.ledger?.apply(config.budget)
        cache.setLimits(capacityBytes: config.cacheSize, ttl: .seconds(config.cacheTTL))
    }

    /// `/api/budget`.
    func budgetReport(session: String?) async throws -> BudgetReport {
        try await writer.budgetReport(session: session)
    }

    /// Where budget warnings go besides the log.
    public func setNotifier(_ notifier: (@Sendable (String, String) -> Void)?) {
        notify.withLock { $0 = notifier }
    }

    /// The prices new calls are charged at.
    var pricing: PricingTable { settings.withLock { $0.pricing } }

    /// Closes the upstream connections; call after the server has drained.
    public func shutdown() async {
        await upstreamPool.shutdown()
    }

    // MARK: - Forwarding
    //
    // A task keeps the memory of its deepest point for as long as it lives, and a connection's task
    // lives for hours (Claude Code keeps its connections open). So the async steps below hold only
    // references across their suspensions, and the work between them is done in plain functions,
    // whose frames are on the thread's stack and gone when they return. Those are `@inline(never)`:
    // inlined, their locals would join the async step's frame, which the task allocates.

    /// A call whose request has been read and checked.
    private final class CheckedCall: Sendable {
        let call: GatewayCall
        let head: HTTPRequestHead
        /// Its target in origin form, as the upstream gets it under its base path.
        let target: String
        let cacheKey: CacheKey?
        let cacheState: String
        let settings: Settings

        init(call: GatewayCall, head: HTTPRequestHead, target: String, cacheKey: CacheKey?, cacheState: String, settings: Settings) {
            (self.call, self.head, self.target, self.cacheKey, self.cacheState, self.settings) = (call, head, target, cacheKey, cacheState, settings)
        }
    }

    /// A call ready to go upstream, holding its upstream slot.
    private final class UpstreamCall: Sendable {
        let checked: CheckedCall
        let slot: UpstreamSlots.Slot
        /// Taken once, when it is sent: the call lasts until its answer ends (a stream's, minutes),
        /// and its request (the conversation so far, often hundreds of KB) is let go of once written,
        /// or once the answer's head has come (``UpstreamExchange`` may send it again till then).
        private let request: Mutex<UpstreamRequest?>

        init(checked: CheckedCall, request: UpstreamRequest, slot: UpstreamSlots.Slot) {
            (self.checked, self.slot) = (checked, slot)
            self.request = Mutex(request)
        }

        func takeRequest() -> UpstreamRequest {
            request.withLock { request in
                defer { request = nil }
                return request!
            }
        }
    }

    private enum Step<Next> {
        /// Answered without the upstream: a cache hit, a refusal, a bad request.
        case answered(GatewayResponse)
        case next(Next)
    }

    /// One call on `route`, the route of the request's method and `target`, its target in origin
    /// form (``GatewayRoute/init(method:target:)``, ``ClientRequest/target``): check the body,
    /// answer from the cache when allowed, else relay upstream. `connection` is the client's: a
    /// stream's events are written to it as they come.
    public func answer(_ request: ClientRequest, at target: String, route: GatewayRoute, on connection: any Channel) async -> GatewayResponse {
        switch await prepare(request, at: target, route: route) {
        case .answered(let response): return response
        case .next(let upstream): return await send(upstream, answering: connection)
        }
    }

    private func prepare(_ request: ClientRequest, at target: String, route: GatewayRoute) async -> Step<UpstreamCall> {
        let settings = settings.withLock { $0 }
        let head = request.head
        var body: ByteBuffer?
        if head.method == .POST {
            // The server keeps at most one byte past the limit.
            let whole = request.takeBody() ?? ByteBuffer()
            guard whole.readableBytes <= settings.maxRequestSize else {
                return .answered(refuseTooLarge(head, route: route, settings: settings))
            }
            body = whole
        }
        let checked: Step<CheckedCall>
        if (body?.readableBytes ?? 0) > Self.largestBodyCheckedInPlace {
            checked = await withTaskExecutorPreference(globalConcurrentExecutor) { [body] in
                self.check(head, target: target, body: body, route: route, settings: settings)
            }
        } else {
            // Where the task runs: even a preference of none costs a call a closure and two task
            // switches.
            checked = check(head, target: target, body: body, route: route, settings: settings)
        }
        switch checked {
        case .answered(let response):
            return .answered(response)
        case .next(let checked):
            // A spent budget refuses a new call before the upstream sees it (a cache hit costs nothing).
            if budgetsNeedReading(for: checked) { await readBudgets(for: checked) }
            return admit(checked, body: body)
        }
    }

    /// The daemon handles a request on the thread that relays every stream's events (the serving
    /// loop), and a body's check (its JSON scanned, for a cacheable call written canonically and
    /// hashed) takes up to a microsecond per KB (a third of that for a conversation's text): a
    /// larger body is checked on Swift's own threads, so that no other stream's event waits longer
    /// than that behind it.
    static let largestBodyCheckedInPlace = 64 << 10

    @inline(never)
    private func refuseTooLarge(_ head: HTTPRequestHead, route: GatewayRoute, settings: Settings) -> GatewayResponse {
        finish(Self.call(head, route: route, settings: settings), GatewayError.tooLarge(limit: settings.maxRequestSize).answer)
    }

    @inline(never)
    private func budgetsNeedReading(for checked: CheckedCall) -> Bool {
        checked.call.route == .messages && writer.ledger?.isActive == true
            && writer.budgetsNeedReading(session: checked.call.attribution.session)
    }

    private func readBudgets(for checked: CheckedCall) async {
        do { try await writer.loadBudgets(session: checked.call.attribution.session) } catch {
            logger.warning("budget: cannot read what was spent from the analytics database: \(error)")
        }
    }

    /// What is known of a call before its body is read: its client and attribution.
    @inline(never)
    private static func call(_ head: HTTPRequestHead, route: GatewayRoute, settings: Settings) -> GatewayCall {
        let (client, attribution) = attribution(of: head.headers)
        return GatewayCall(route: route, client: client, attribution: attribution, pricing: settings.pricing)
    }

    /// The body parsed, and the answer from the cache when there is one.
    @inline(never)
    private func check(_ head: HTTPRequestHead, target: String, body: ByteBuffer?, route: GatewayRoute, settings: Settings) -> Step<CheckedCall> {
        var call = Self.call(head, route: route, settings: settings)
        var parsed: MessagesRequest?
        if let body {
            do {
                parsed = try MessagesRequest(body: body)
            } catch {
                return .answered(finish(call, GatewayError.badRequest("cco: \(error)").answer))
            }
        }
        call.model = parsed?.model
        call.streamed = parsed?.stream ?? false

        var cacheKey: CacheKey?
        var cacheState = "bypass"
        if route.isCacheable, settings.cacheMode == .exact, let parsed, !parsed.stream {
            let key = CacheKey(
                credential: Self.credential(of: head.headers), upstream: settings.upstream.description, method: "POST", path: target,
                anthropicVersion: Self.value(of: "anthropic-version", in: head.headers),
                anthropicBeta: Self.value(of: "anthropic-beta", in: head.headers),
                canonicalBody: parsed.canonicalBody)
            // A `no-cache` request is not answered from the cache, but its fresh answer is stored.
            if !Self.refusesCachedAnswer(head.headers) {
                if let hit = cache.get(key.hex) {
                    call.cacheHit = true
                    call.usage = hit.usage
                    if call.model == nil { call.model = hit.model }
                    return .answered(finish(call, answer(from: hit)))
                }
                cacheState = "miss"
            }
            cacheKey = key
        }
        return .next(CheckedCall(call: call, head: head, target: target, cacheKey: cacheKey, cacheState: cacheState, settings: settings))
    }

    /// The budgets' verdict, the upstream request, and an upstream slot.
    @inline(never)
    private func admit(_ checked: CheckedCall, body: ByteBuffer?) -> Step<UpstreamCall> {
        let (call, settings) = (checked.call, checked.settings)
        if call.route == .messages, let budgets = writer.ledger, budgets.isActive,
           let refusal = budgets.check(session: call.attribution.session, project: call.attribution.project) {
            metrics.budgetRefused(refusal.budget.label)
            logger.warning("call refused: \(refusal.budget) of \(USD.text(refusal.limitUSD)) is spent (\(USD.text(refusal.spentUSD)))")
            return .answered(finish(call, GatewayError.budgetSpent(refusal).answer))
        }

        let upstreamRequest = Self.upstreamRequest(checked.head, target: checked.target, body: body, to: settings.upstream)

        guard let slot = upstreamSlots.take() else {
            metrics.upstreamRefused("max_connections")
            logger.warning("upstream call refused: upstream_max_connections (\(upstreamSlots.capacity)) calls are in flight")
            return .answered(finish(call, GatewayError.saturated(limit: upstreamSlots.capacity).answer))
        }
        return .next(UpstreamCall(checked: checked, request: upstreamRequest, slot: slot))
    }

    private func send(_ upstream: UpstreamCall, answering connection: any Channel) async -> GatewayResponse {
        let exchange = UpstreamExchange(client: connection, largestWholeAnswer: Self.largestBufferedResponse,
                                        silenceLimit: .seconds(Int64(upstream.checked.settings.timeoutSeconds)))
        defer { if exchange.wasSentAgain { sentAgain(settings: upstream.checked.settings) } }
        do {
            return respond(to: upstream, with: try await exchange.answer(to: upstream.takeRequest(), at: upstream.checked.settings.upstream, from: upstreamPool),
                           from: exchange)
        } catch {
            return finish(upstream.checked.call, upstreamFailure(error, settings: upstream.checked.settings).answer)
        }
    }

    @inline(never)
    private func sentAgain(settings: Settings) {
        metrics.upstreamSentAgain()
        logger.info("upstream \(settings.upstream) closed an idle connection as a call went out on it: the call was sent again on a new connection")
    }

    /// The client's response to the upstream's answer: read whole, or a stream to relay.
    @inline(never)
    private func respond(to upstream: UpstreamCall, with answer: UpstreamExchange.Answer, from exchange: UpstreamExchange) -> GatewayResponse {
        var call = upstream.checked.call
        let head: HTTPResponseHead
        switch answer {
        case .whole(let answerHead, _), .stream(let answerHead): head = answerHead
        }
        let relayed = Self.relayed(head.headers)
        call.status = Int(head.status.code)
        call.requestID = relayed.requestID
        call.rateLimits.append(contentsOf: relayed.rateLimits)
        let contentType = relayed.contentType ?? ""
        // The fields taken last, so that they are this function's alone: added to in place (they
        // have room), where fields still shared with `relayed` were copied for each field added.
        var headers = relayed.headers
        if upstream.checked.call.route.isCacheable { headers.add(name: Self.cacheHeader, value: upstream.checked.cacheState) }

        guard case .whole(_, let bytes) = answer else {
            return GatewayResponse(status: head.status, headers: consume headers, stream: relay(exchange, call: call, holding: upstream.slot))
        }
        let cacheKey = head.status == .ok ? upstream.checked.cacheKey : nil
        return GatewayResponse(status: head.status, headers: consume headers, bytes: bytes) { [call] in
            self.answered(call, with: bytes, contentType: contentType, cacheKey: cacheKey)
        }
    }

    /// A whole answer has been written: its usage is read, it is cached when it may be, and the
    /// call is recorded. Off the answer's way, but before the connection's next request is read.
    @inline(never)
    private func answered(_ call: GatewayCall, with bytes: ByteBuffer, contentType: String, cacheKey: CacheKey?) {
        var call = call
        let array = Array(buffer: bytes)
        // count_tokens answers are free; only messages carry billed usage.
        if call.route == .messages, let read = UsageReader.read(array) {
            call.usage = read.usage
            call.serviceTier = read.serviceTier
            if call.model == nil { call.model = read.model }
        }
        if let cacheKey {
            let entry = CachedResponse(contentType: contentType, body: array, model: call.model, usage: call.usage,
                                       storedAtMilliseconds: WallClock.nowMilliseconds())
            cache.put(cacheKey.hex, entry, bytes: entry.cost)
        }
        record(call)
    }

    /// The cached answer, marked as such, with its age in seconds.
    private func answer(from hit: CachedResponse) -> GatewayResponse {
        let age = max(0, (WallClock.nowMilliseconds() - hit.storedAtMilliseconds) / 1000)
        let headers: HTTPHeaders = [
            "content-type": hit.contentType, Self.cacheHeader: "hit", "age": String(age),
        ]
        return GatewayResponse(status: .ok, headers: headers, bytes: ByteBuffer(bytes: hit.body))
    }

    /// A streamed answer, passed on as it arrives (``UpstreamExchange``); its usage is read on the
    /// way and the call is recorded when the stream ends (or the client goes away). The call's
    /// upstream slot is held until then, or until the stream is let go of unrelayed, which also
    /// cancels the upstream call.
    private func relay(_ exchange: UpstreamExchange, call: GatewayCall, holding slot: UpstreamSlots.Slot) -> GatewayStream {
        let hold = RelayHold(exchange: exchange, slot: slot)
        return GatewayStream {
            // Counted before the client sees the end: its next call is checked against this one's cost.
            try self.streamEnded(call, await hold.exchange.relay())
        }
    }

    /// Records a relayed stream; rethrows what cut it short.
    @inline(never)
    private func streamEnded(_ call: GatewayCall, _ end: UpstreamExchange.StreamEnd) throws {
        var call = call
        call.take(end.scanner)
        if let error = end.error {
            call.incomplete = true
            logger.warning("stream on \(call.route.rawValue) ended early: \(error)")
            record(call)
            throw error
        }
        if call.incomplete { logger.warning("stream on \(call.route.rawValue) ended without message_stop") }
        record(call)
    }

    /// What a stream's body keeps until it has been written or dropped.
    private final class RelayHold: Sendable {
        let exchange: UpstreamExchange
        let slot: UpstreamSlots.Slot

        init(exchange: UpstreamExchange, slot: UpstreamSlots.Slot) {
            self.exchange = exchange
            self.slot = slot
        }

        deinit { exchange.abandon() }
    }

    @inline(never)
    private func finish(_ call: GatewayCall, _ response: GatewayResponse) -> GatewayResponse {
        var call = call
        call.status = Int(response.status.code)
        record(call)
        return response
    }

    /// Prices the call once, with the prices in force when it arrived, for the metrics and the row.
    private func record(_ call: GatewayCall) {
        var row = call.record()
        metrics.usageRecorded(row)
        if let budgets = writer.ledger, let crossings = budgets.record(row) {
            row.countedInBudget = true
            for crossing in crossings {
                logger.warning("\(crossing.message)")
                if budgets.config.notify, let notify = notify.withLock({ $0 }) {
                    notify(crossing.reachedLimit ? "cco: budget spent" : "cco: budget warning", crossing.message)
                }
            }
        }
        writer.record(row)
        logger.debug("\(call.route.rawValue) \(call.status) model=\(call.model ?? "-") cache=\(call.cacheHit ? "hit" : "no") tokens=\(call.usage.input)/\(call.usage.output)")
    }

    @inline(never)
    private func upstreamFailure(_ error: any Error, settings: Settings) -> GatewayError {
        let upstream = settings.upstream.description
        if error as? UpstreamError == .silent {
            metrics.upstreamFailed("timeout")
            logger.warning("upstream \(upstream) timed out")
            return .timedOut(upstream, seconds: settings.timeoutSeconds)
        }
        let reason = "\(error)"
        metrics.upstreamFailed("unreachable")
        logger.warning("upstream \(upstream) unreachable: \(reason)")
        return .unreachable(upstream, reason)
    }

    // MARK: - Headers
    //
    // The client's and the upstream's header blocks stay NIO's from end to end: each field is
    // passed on as it came, and names are matched in any case, byte by byte, with no string made.

    static let cacheHeader = "x-cco-cache"

    /// Headers that belong to one connection, or that cco itself sets, and are not passed on.
    static let notForwarded = HeaderNames([
        "connection", "keep-alive", "proxy-connection", "proxy-authorization", "transfer-encoding", "te", "trailer",
        "upgrade", "host", "content-length", "expect",
        // cco reads usage from bodies, so it asks the upstream for them uncompressed.
        "accept-encoding",
        // Directives to cco's cache, not to the upstream.
        "cache-control", "pragma",
    ])
    /// cco's own headers (`x-cco-project`), for cco alone.
    static let ccoPrefix = HeaderNames(["x-cco-"])

    static let notRelayed = HeaderNames([
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "content-length",
        // The daemon's server writes its own.
        "date", "server",
    ])

    /// The client's request as the upstream gets it: its target (origin form) under the upstream's
    /// base path, its headers but those of one connection or for cco, then `Host` and the body's
    /// length: the only framing it has (the upstream connection's encoder adds none).
    static func upstreamRequest(_ request: HTTPRequestHead, target: String, body: ByteBuffer?, to upstream: UpstreamURL) -> UpstreamRequest {
        // Gathered as pairs, then made headers: `HTTPHeaders.add` checks each name's bytes again,
        // and these were checked as NIO's decoder read them.
        var fields: [(String, String)] = []
        fields.reserveCapacity(request.headers.count + 2)
        for (name, value) in request.headers where !notForwarded.contains(name) && !ccoPrefix.isPrefix(of: name) {
            fields.append((name, value))
        }
        fields.append(("Host", upstream.authority))
        if let body { fields.append(("Content-Length", String(body.readableBytes))) }
        let head = HTTPRequestHead(version: .http1_1, method: request.method, uri: upstream.target(forPath: target), headers: HTTPHeaders(fields))
        return UpstreamRequest(head: head, body: body)
    }

    /// What the gateway takes from the head of the upstream's answer, read in one pass over its
    /// fields (an Anthropic answer has two dozen, half of them rate-limit headers).
    struct RelayedHead {
        /// The fields as the client gets them. Sized for the cache's verdict, a whole answer's
        /// length and the server's date and name, added next: growing would copy them, and double
        /// what a stream's head keeps while it runs.
        var headers: HTTPHeaders
        /// The first `request-id` and `content-type`.
        var requestID: String?
        var contentType: String?
        /// Claude Code's unified rate-limit headers, as they came.
        var rateLimits: [RateLimitHeader]
    }

    /// The answer's fields the call keeps besides its rate limits: the request id, the content type.
    static let answerFieldsRead = HeaderNames(["request-id", "content-type"])

    static func relayed(_ headers: HTTPHeaders) -> RelayedHead {
        var fields: [(String, String)] = []
        fields.reserveCapacity(headers.count + 4)
        var requestID: String?, contentType: String?
        var rateLimits: [RateLimitHeader] = []
        for (name, value) in headers where !notRelayed.contains(name) {
            fields.append((name, value))
            if let limit = rateLimitHeader(name, value) {
                // A subscription's answer has a dozen: room for them at once, not grown four times.
                if rateLimits.isEmpty { rateLimits.reserveCapacity(headers.count) }
                rateLimits.append(limit)
                continue
            }
            switch answerFieldsRead.index(of: name) {
            case 0 where requestID == nil: requestID = value
            case 1 where contentType == nil: contentType = value
            default: break
            }
        }
        return RelayedHead(headers: HTTPHeaders(fields), requestID: requestID, contentType: contentType, rateLimits: rateLimits)
    }

    /// `x-api-key` (older clients) or `Authorization: Bearer …` (today's SDKs); only ever hashed.
    static func credential(of headers: HTTPHeaders) -> String? {
        headers.first(name: "x-api-key") ?? headers.first(name: "authorization")
    }

    /// A header's value, its fields joined with `, ` when it came more than once; nil when absent.
    static func value(of name: String, in headers: HTTPHeaders) -> String? {
        let values = headers[name]
        return values.count > 1 ? values.joined(separator: ", ") : values.first
    }

    /// Claude Code's unified rate-limit headers (5-hour and 7-day utilization, status, resets).
    static let rateLimitPrefix = HeaderNames([RateLimitHeader.prefix])
    /// The header when it is one of those (its name in any case, with something after the prefix),
    /// else nil. A subscription's every answer has several: they are kept as they came, no name
    /// copied or lowercased, and the store reads the latest of a batch.
    static func rateLimitHeader(_ name: String, _ value: String) -> RateLimitHeader? {
        guard name.utf8.count > rateLimitPrefix.longest, rateLimitPrefix.isPrefix(of: name) else { return nil }
        return RateLimitHeader(name: name, value: value)
    }

    static let attributionNames = HeaderNames(["user-agent", "x-claude-code-session-id", "x-claude-code-agent-id",
                                               "x-claude-code-parent-agent-id", "x-cco-project"])

    /// The client (its `User-Agent`), and the call's attribution: Claude Code's session and agent
    /// headers, the client's product, and `x-cco-project` (set with `ANTHROPIC_CUSTOM_HEADERS`).
    static func attribution(of headers: HTTPHeaders) -> (client: String?, attribution: Attribution) {
        var userAgent: String?, session: String?, agent: String?, parentAgent: String?, project: String?
        attributionNames.firstValues(in: headers) { index, value in
            // Kept short: they go into every row. (Counted in bytes first: one of 200 bytes or
            // fewer has no more characters, and counting characters costs more than the pass.)
            let kept = value.isEmpty ? nil : value.utf8.count <= 200 ? value : String(value.prefix(200))
            switch index {
            case 0: userAgent = value
            case 1: session = kept
            case 2: agent = kept
            case 3: parentAgent = kept
            default: project = kept
            }
        }
        let product = userAgent.flatMap(Attribution.product(ofUserAgent:))
        return (userAgent, Attribution(session: session, agent: agent, parentAgent: parentAgent, clientName: product?.name,
                                       clientVersion: product?.version, project: project))
    }

    /// `Cache-Control: no-cache` (or `no-store`, or `Pragma: no-cache`): answer from upstream.
    static func refusesCachedAnswer(_ headers: HTTPHeaders) -> Bool {
        // Most requests carry neither header: look for them before building any string.
        guard headers.contains(name: "cache-control") || headers.contains(name: "pragma") else { return false }
        let values = headers["cache-control"] + headers["pragma"]
        return values.contains { value in
            value.split(separator: ",").contains { directive in
                let name = directive.filter { $0 != " " && $0 != "\t" }.lowercased()
                return name == "no-cache" || name == "no-store"
            }
        }
    }
}

/// What is learned about one call as it proceeds, recorded once when it ends.
struct GatewayCall: Sendable {
    /// What is known of a call as it arrives, and does not change: one object, which every copy of
    /// the call (a call is copied a few times on its way) shares instead of copying each string.
    private final class Arrival: Sendable {
        let route: GatewayRoute
        let client: String?
        let attribution: Attribution
        let pricing: PricingTable
        let arrivedMilliseconds = WallClock.nowMilliseconds()
        let started = ContinuousClock().now

        init(route: GatewayRoute, client: String?, attribution: Attribution, pricing: PricingTable) {
            (self.route, self.client, self.attribution, self.pricing) = (route, client, attribution, pricing)
        }
    }

    private let arrival: Arrival
    var route: GatewayRoute { arrival.route }
    var client: String? { arrival.client }
    var attribution: Attribution { arrival.attribution }
    var model: String?
    var status = 0
    var usage = TokenUsage.zero
    var cacheHit = false
    var streamed = false
    var incomplete = false
    var serviceTier: String?
    var requestID: String?
    var rateLimits: [RateLimitHeader] = []

    init(route: GatewayRoute, client: String?, attribution: Attribution = Attribution(), pricing: PricingTable) {
        arrival = Arrival(route: route, client: client, attribution: attribution, pricing: pricing)
    }

    /// What a stream's scanner learned: its usage, model, tier, and whether it ended with `message_stop`.
    mutating func take(_ scanner: StreamUsageScanner) {
        usage = scanner.usage
        if model == nil { model = scanner.model }
        serviceTier = scanner.serviceTier
        incomplete = !scanner.completed
    }

    /// The analytics row, priced.
    func record() -> RequestRecord {
        let elapsed = (ContinuousClock().now - arrival.started).components
        var row = RequestRecord(
            timestampMilliseconds: arrival.arrivedMilliseconds, route: route.rawValue, model: model, status: status,
            latencyMilliseconds: Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15,
            usage: usage, cacheHit: cacheHit, streamed: streamed, incomplete: incomplete, serviceTier: serviceTier,
            client: client, attribution: attribution, requestID: requestID)
        row.rateLimits = rateLimits
        row.price(with: arrival.pricing)
        return row
    }
}
