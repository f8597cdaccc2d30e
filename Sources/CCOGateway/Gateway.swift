#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import CCOAnalytics
public import CCOCore
public import Hummingbird
import HTTPTypes
public import Logging
public import NIOCore
import NIOHTTP1
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

    public func register(on router: Router<ConnectionContext>) {
        router.post("/v1/messages") { request, context in
            await self.forward(request, on: context.channel, route: "/v1/messages", cacheable: true)
        }
        router.post("/v1/messages/count_tokens") { request, context in
            await self.forward(request, on: context.channel, route: "/v1/messages/count_tokens", cacheable: true)
        }
        router.get("/v1/models") { request, context in
            await self.forward(request, on: context.channel, route: "/v1/models", cacheable: false)
        }
        router.get("/v1/models/:id") { request, context in
            await self.forward(request, on: context.channel, route: "/v1/models/:id", cacheable: false)
        }
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
        let request: Request
        let path: String
        let cacheKey: CacheKey?
        let cacheState: String
        let cacheable: Bool
        let settings: Settings

        init(call: GatewayCall, request: Request, path: String, cacheKey: CacheKey?, cacheState: String, cacheable: Bool,
             settings: Settings) {
            (self.call, self.request, self.path, self.cacheKey, self.cacheState, self.cacheable, self.settings) =
                (call, request, path, cacheKey, cacheState, cacheable, settings)
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
        case answered(Response)
        case next(Next)
    }

    /// One call: read and check the body, answer from the cache when allowed, else relay upstream.
    func forward(_ request: Request, on connection: any Channel, route: String, cacheable: Bool) async -> Response {
        switch await prepare(request, route: route, cacheable: cacheable) {
        case .answered(let response): return response
        case .next(let upstream): return await send(upstream, answering: connection)
        }
    }

    private func prepare(_ request: Request, route: String, cacheable: Bool) async -> Step<UpstreamCall> {
        let settings = settings.withLock { $0 }
        var body: ByteBuffer?
        if request.method == .post {
            guard let collected = await Self.collect(request.body, limit: settings.maxRequestSize) else {
                return .answered(refuseTooLarge(request, route: route, settings: settings))
            }
            body = collected
        }
        // No preference (nil) leaves the check where the task runs.
        let elsewhere = (body?.readableBytes ?? 0) > Self.largestBodyCheckedInPlace ? globalConcurrentExecutor : nil
        let checked = await withTaskExecutorPreference(elsewhere) { [body] in
            self.check(request, body: body, route: route, cacheable: cacheable, settings: settings)
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

    /// The request's body, nil when it is larger than `limit`. The daemon's server hands a body
    /// on whole, in one buffer, which is taken as it is; parts after a first are added to it.
    static func collect(_ body: RequestBody, limit: Int) async -> ByteBuffer? {
        var parts = body.makeAsyncIterator()
        do {
            guard var collected = try await parts.next() else { return ByteBuffer() }
            while let part = try await parts.next() {
                guard collected.readableBytes + part.readableBytes <= limit else { return nil }
                collected.writeImmutableBuffer(part)
            }
            return collected.readableBytes <= limit ? collected : nil
        } catch {
            return nil
        }
    }

    @inline(never)
    private func refuseTooLarge(_ request: Request, route: String, settings: Settings) -> Response {
        finish(Self.call(request, route: route, settings: settings), GatewayError.tooLarge(limit: settings.maxRequestSize).response)
    }

    @inline(never)
    private func budgetsNeedReading(for checked: CheckedCall) -> Bool {
        checked.call.route == "/v1/messages" && writer.ledger?.isActive == true
            && writer.budgetsNeedReading(session: checked.call.attribution.session)
    }

    private func readBudgets(for checked: CheckedCall) async {
        do { try await writer.loadBudgets(session: checked.call.attribution.session) } catch {
            logger.warning("budget: cannot read what was spent from the analytics database: \(error)")
        }
    }

    /// What is known of a call before its body is read: its client and attribution.
    @inline(never)
    private static func call(_ request: Request, route: String, settings: Settings) -> GatewayCall {
        var call = GatewayCall(route: route, client: request.headers[.userAgent], pricing: settings.pricing)
        call.attribution = attribution(of: request.headers)
        return call
    }

    /// The body parsed, and the answer from the cache when there is one.
    @inline(never)
    private func check(_ request: Request, body: ByteBuffer?, route: String, cacheable: Bool, settings: Settings) -> Step<CheckedCall> {
        var call = Self.call(request, route: route, settings: settings)
        var parsed: MessagesRequest?
        if let body {
            do {
                parsed = try MessagesRequest(body: body)
            } catch {
                return .answered(finish(call, GatewayError.badRequest("cco: \(error)").response))
            }
        }
        call.model = parsed?.model
        call.streamed = parsed?.stream ?? false

        let path = request.uri.query.map { "\(request.uri.path)?\($0)" } ?? request.uri.path
        var cacheKey: CacheKey?
        var cacheState = "bypass"
        if cacheable, settings.cacheMode == .exact, let parsed, !parsed.stream {
            let key = CacheKey(
                credential: Self.credential(of: request), upstream: settings.upstream.description, method: "POST", path: path,
                anthropicVersion: request.headers[Self.anthropicVersion], anthropicBeta: request.headers[Self.anthropicBeta],
                canonicalBody: parsed.canonicalBody)
            // A `no-cache` request is not answered from the cache, but its fresh answer is stored.
            if !Self.refusesCachedAnswer(request) {
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
        return .next(CheckedCall(call: call, request: request, path: path, cacheKey: cacheKey, cacheState: cacheState,
                                 cacheable: cacheable, settings: settings))
    }

    /// The budgets' verdict, the upstream request, and an upstream slot.
    @inline(never)
    private func admit(_ checked: CheckedCall, body: ByteBuffer?) -> Step<UpstreamCall> {
        let (call, settings, path) = (checked.call, checked.settings, checked.path)
        if call.route == "/v1/messages", let budgets = writer.ledger, budgets.isActive,
           let refusal = budgets.check(session: call.attribution.session, project: call.attribution.project) {
            metrics.budgetRefused(refusal.budget.label)
            logger.warning("call refused: \(refusal.budget) of \(USD.text(refusal.limitUSD)) is spent (\(USD.text(refusal.spentUSD)))")
            return .answered(finish(call, GatewayError.budgetSpent(refusal).response))
        }

        let upstreamRequest = Self.upstreamRequest(checked.request, path: path, body: body, to: settings.upstream)

        guard let slot = upstreamSlots.take() else {
            metrics.upstreamRefused("max_connections")
            logger.warning("upstream call refused: upstream_max_connections (\(upstreamSlots.capacity)) calls are in flight")
            return .answered(finish(call, GatewayError.saturated(limit: upstreamSlots.capacity).response))
        }
        return .next(UpstreamCall(checked: checked, request: upstreamRequest, slot: slot))
    }

    private func send(_ upstream: UpstreamCall, answering connection: any Channel) async -> Response {
        let exchange = UpstreamExchange(client: connection, largestWholeAnswer: Self.largestBufferedResponse,
                                        silenceLimit: .seconds(Int64(upstream.checked.settings.timeoutSeconds)))
        defer { if exchange.wasSentAgain { sentAgain(settings: upstream.checked.settings) } }
        do {
            return respond(to: upstream, with: try await exchange.answer(to: upstream.takeRequest(), at: upstream.checked.settings.upstream, from: upstreamPool),
                           from: exchange)
        } catch {
            return finish(upstream.checked.call, upstreamFailure(error, settings: upstream.checked.settings).response)
        }
    }

    @inline(never)
    private func sentAgain(settings: Settings) {
        metrics.upstreamSentAgain()
        logger.info("upstream \(settings.upstream) closed an idle connection as a call went out on it: the call was sent again on a new connection")
    }

    /// The client's response to the upstream's answer: read whole, or a stream to relay.
    @inline(never)
    private func respond(to upstream: UpstreamCall, with answer: UpstreamExchange.Answer, from exchange: UpstreamExchange) -> Response {
        var call = upstream.checked.call
        let head: HTTPResponseHead
        switch answer {
        case .whole(let answerHead, _), .stream(let answerHead): head = answerHead
        }
        var headers = Self.relayedResponseHeaders(head.headers)
        if upstream.checked.cacheable { headers[Self.cacheHeader] = upstream.checked.cacheState }
        let status = HTTPResponse.Status(code: Int(head.status.code))
        call.status = status.code
        call.requestID = head.headers.first(name: "request-id")
        for (name, value) in head.headers {
            if let limit = Self.rateLimitName(name) { call.rateLimits[limit] = value }
        }

        guard case .whole(_, let bytes) = answer else {
            return Response(status: status, headers: headers, body: relay(exchange, call: call, holding: upstream.slot))
        }
        let contentType = head.headers.first(name: "content-type") ?? ""
        let array = Array(buffer: bytes)
        // count_tokens answers are free; only messages carry billed usage.
        if call.route == "/v1/messages", let read = UsageReader.read(array) {
            call.usage = read.usage
            call.serviceTier = read.serviceTier
            if call.model == nil { call.model = read.model }
        }
        if let cacheKey = upstream.checked.cacheKey, status == .ok {
            let entry = CachedResponse(contentType: contentType, body: array, model: call.model, usage: call.usage,
                                       storedAtMilliseconds: WallClock.nowMilliseconds())
            cache.put(cacheKey.hex, entry, bytes: entry.cost)
        }
        return finish(call, Response(status: status, headers: headers, body: ResponseBody(byteBuffer: bytes)))
    }

    /// The cached answer, marked as such, with its age in seconds.
    private func answer(from hit: CachedResponse) -> Response {
        var headers: HTTPFields = [.contentType: hit.contentType]
        headers[Self.cacheHeader] = "hit"
        headers[.age] = String(max(0, (WallClock.nowMilliseconds() - hit.storedAtMilliseconds) / 1000))
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: hit.body)))
    }

    /// A streamed answer, passed on as it arrives (``UpstreamExchange``); its usage is read on the
    /// way and the call is recorded when the stream ends (or the client goes away). The call's
    /// upstream slot is held until then, or until the body is dropped unread, which also cancels
    /// the upstream call.
    private func relay(_ exchange: UpstreamExchange, call: GatewayCall, holding slot: UpstreamSlots.Slot) -> ResponseBody {
        let hold = RelayHold(exchange: exchange, slot: slot)
        return ResponseBody { writer in
            // Counted before the client sees the end: its next call is checked against this one's cost.
            try self.streamEnded(call, await hold.exchange.relay())
            try await writer.finish(nil)
        }
    }

    /// Records a relayed stream; rethrows what cut it short.
    @inline(never)
    private func streamEnded(_ call: GatewayCall, _ end: UpstreamExchange.StreamEnd) throws {
        var call = call
        call.take(end.scanner)
        if let error = end.error {
            call.incomplete = true
            logger.warning("stream on \(call.route) ended early: \(error)")
            record(call)
            throw error
        }
        if call.incomplete { logger.warning("stream on \(call.route) ended without message_stop") }
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
    private func finish(_ call: GatewayCall, _ response: Response) -> Response {
        var call = call
        call.status = response.status.code
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
        logger.debug("\(call.route) \(call.status) model=\(call.model ?? "-") cache=\(call.cacheHit ? "hit" : "no") tokens=\(call.usage.input)/\(call.usage.output)")
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

    static let cacheHeader = HTTPField.Name("x-cco-cache")!
    static let anthropicVersion = HTTPField.Name("anthropic-version")!
    static let anthropicBeta = HTTPField.Name("anthropic-beta")!
    static let apiKey = HTTPField.Name("x-api-key")!
    static let pragma = HTTPField.Name("pragma")!

    /// Headers that belong to one connection, or that cco itself sets, and are not passed on.
    static let notForwarded: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authorization", "transfer-encoding", "te", "trailer",
        "upgrade", "host", "content-length", "expect",
        // cco reads usage from bodies, so it asks the upstream for them uncompressed.
        "accept-encoding",
        // Directives to cco's cache, not to the upstream.
        "cache-control", "pragma",
    ]

    static let notRelayed: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "content-length",
        // The daemon's server writes its own.
        "date", "server",
    ]

    /// The client's request as the upstream gets it: its path under the upstream's base path, its
    /// headers but those of one connection or for cco, then `Host` and the body's length.
    static func upstreamRequest(_ request: Request, path: String, body: ByteBuffer?, to upstream: UpstreamURL) -> UpstreamRequest {
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 2)
        for field in request.headers where !notForwarded.contains(field.name.canonicalName) && !field.name.canonicalName.hasPrefix("x-cco-") {
            headers.add(name: field.name.rawName, value: field.value)
        }
        headers.add(name: "Host", value: upstream.authority)
        if let body { headers.add(name: "Content-Length", value: String(body.readableBytes)) }
        let head = HTTPRequestHead(version: .http1_1, method: request.method == .post ? .POST : .GET, uri: upstream.target(forPath: path),
                                   headers: headers)
        return UpstreamRequest(head: head, body: body)
    }

    /// Sized for the cache's verdict, added next: growing would double what a stream's head keeps
    /// while it runs.
    static func relayedResponseHeaders(_ headers: HTTPHeaders) -> HTTPFields {
        var fields = HTTPFields()
        fields.reserveCapacity(headers.count + 1)
        for (name, value) in headers {
            // The field's name is lowercased once, by HTTPTypes, and checked in that form.
            guard let fieldName = HTTPField.Name(name), !notRelayed.contains(fieldName.canonicalName) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        return fields
    }

    /// `x-api-key` (older clients) or `Authorization: Bearer …` (today's SDKs); only ever hashed.
    static func credential(of request: Request) -> String? {
        request.headers[apiKey] ?? request.headers[.authorization]
    }

    /// Claude Code's unified rate-limit headers (5-hour and 7-day utilization, status, resets).
    static let rateLimitPrefix = "anthropic-ratelimit-unified-"
    /// `5h-utilization` of `anthropic-ratelimit-unified-5h-utilization` (any case), nil for other
    /// headers; most responses have none, so no header name is copied or lowercased to find out.
    static func rateLimitName(_ name: String) -> String? {
        // Byte by byte on the string's own storage: a `zip` of two UTF-8 views cost a hundred
        // instructions a byte, for every header of every answer.
        var name = name
        name.makeContiguousUTF8()
        return name.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            let prefix = rateLimitPrefixBytes
            guard bytes.count > prefix.count,
                  prefix.indices.allSatisfy({ bytes[$0] | 0x20 == prefix[$0] || bytes[$0] == prefix[$0] }) else { return nil }
            return String(decoding: bytes[prefix.count...], as: UTF8.self).lowercased()
        } ?? nil
    }

    private static let rateLimitPrefixBytes = Array(rateLimitPrefix.utf8)

    static let sessionHeader = HTTPField.Name("x-claude-code-session-id")!
    static let agentHeader = HTTPField.Name("x-claude-code-agent-id")!
    static let parentAgentHeader = HTTPField.Name("x-claude-code-parent-agent-id")!
    static let projectHeader = HTTPField.Name("x-cco-project")!

    /// Claude Code's session and agent headers, the client's product, and `x-cco-project` (set with
    /// `ANTHROPIC_CUSTOM_HEADERS`).
    static func attribution(of headers: HTTPFields) -> Attribution {
        let product = headers[.userAgent].flatMap(Attribution.product(ofUserAgent:))
        func value(_ name: HTTPField.Name) -> String? { headers[name].flatMap { $0.isEmpty ? nil : String($0.prefix(200)) } }
        return Attribution(session: value(sessionHeader), agent: value(agentHeader), parentAgent: value(parentAgentHeader),
                           clientName: product?.name, clientVersion: product?.version, project: value(projectHeader))
    }

    /// `Cache-Control: no-cache` (or `no-store`, or `Pragma: no-cache`): answer from upstream.
    static func refusesCachedAnswer(_ request: Request) -> Bool {
        // Most requests carry neither header: look for them before building any string.
        guard request.headers.contains(.cacheControl) || request.headers.contains(pragma) else { return false }
        let values = request.headers[values: .cacheControl] + request.headers[values: pragma]
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
    let route: String
    let client: String?
    let pricing: PricingTable
    let arrivedMilliseconds = WallClock.nowMilliseconds()
    let started = ContinuousClock().now
    var model: String?
    var status = 0
    var usage = TokenUsage.zero
    var cacheHit = false
    var streamed = false
    var incomplete = false
    var serviceTier: String?
    var attribution = Attribution()
    var requestID: String?
    var rateLimits: [String: String] = [:]

    init(route: String, client: String?, pricing: PricingTable) {
        self.route = route
        self.client = client
        self.pricing = pricing
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
        let elapsed = (ContinuousClock().now - started).components
        var row = RequestRecord(
            timestampMilliseconds: arrivedMilliseconds, route: route, model: model, status: status,
            latencyMilliseconds: Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15,
            usage: usage, cacheHit: cacheHit, streamed: streamed, incomplete: incomplete, serviceTier: serviceTier,
            client: client, attribution: attribution, requestID: requestID)
        row.rateLimits = rateLimits
        row.price(with: pricing)
        return row
    }
}
