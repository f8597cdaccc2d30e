public import CCOAnalytics
import CCOCore
import HTTPTypes
public import Hummingbird
import NIOCore
import NIOPosix

/// `GET /api/stats` (analytics totals as JSON), `GET /api/sessions` (Claude Code sessions), `GET /api/calls`
/// (calls one by one), `GET /api/events` (calls as they are written, as server-sent events), `GET /api/budget`,
/// `GET /metrics` (Prometheus text), and the two mutating endpoints, which need the admin token:
/// `POST /api/reload` and `POST /api/cache/purge`.
public struct AdminRoutes: Sendable {
    public let gateway: Gateway
    /// The bearer token of the mutating endpoints (``AdminToken``).
    public let token: String
    /// Re-reads the config, as SIGHUP does.
    public let reload: @Sendable () -> ReloadOutcome

    public init(gateway: Gateway, token: String, reload: @escaping @Sendable () -> ReloadOutcome) {
        self.gateway = gateway
        self.token = token
        self.reload = reload
    }

    /// Nil when `request` carries the token, else the 401 to answer.
    private func refusal(_ request: Request) -> Response? {
        let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let presented, AdminToken.matches(presented, token) else {
            var response = GatewayError(status: .unauthorized, type: "authentication_error",
                                        message: "cco: this endpoint needs Authorization: Bearer <the token in admin.token in the state directory>").response
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        return nil
    }

    struct Purged: ResponseEncodable {
        let purged_entries: Int
        let purged_bytes: Int
    }

    struct Reloaded: ResponseEncodable {
        let reloaded: Bool
        let status: String
    }

    static func parameters(_ request: Request) -> [String: String] {
        var parameters: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { parameters[String(name)] = String(value) }
        return parameters
    }

    static func databaseFailed(_ error: any Error) -> Response {
        GatewayError(status: .internalServerError, type: "api_error", message: "cco: the analytics database failed: \(error)").response
    }

    /// The calls a listing (`/api/sessions`, `/api/calls`) covers and its `limit=` (1 to 10000,
    /// `defaultLimit` when absent), or the 400 that names the bad parameter.
    static func listing(_ request: Request, defaultLimit: Int) throws(GatewayError) -> (filter: StatsFilter, limit: Int) {
        let parameters = parameters(request)
        let filter: StatsFilter
        do { filter = try StatsFilter(parameters: parameters) } catch { throw .badRequest("cco: \(error)") }
        guard let limit = Int(parameters["limit"] ?? String(defaultLimit)), (1 ... 10_000).contains(limit) else {
            throw .badRequest("cco: limit must be a number from 1 to 10000")
        }
        return (filter, limit)
    }

    static func json(_ bytes: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    public func register(on router: Router<ConnectionContext>) {
        router.get("/api/stats") { request, _ -> Response in
            let parameters = Self.parameters(request)
            let groupText = parameters["group_by"] ?? StatsGrouping.model.rawValue
            guard let grouping = StatsGrouping(rawValue: groupText) else {
                return GatewayError.badRequest("cco: group_by must be one of \(StatsGrouping.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(groupText)\"").response
            }
            let filter: StatsFilter
            do { filter = try StatsFilter(parameters: parameters) } catch { return GatewayError.badRequest("cco: \(error)").response }
            do {
                let report = try await gateway.writer.stats(filter, groupBy: grouping)
                return Self.json(report.json())
            } catch {
                return Self.databaseFailed(error)
            }
        }
        router.get("/api/sessions") { request, _ -> Response in
            let listing: (filter: StatsFilter, limit: Int)
            do throws(GatewayError) { listing = try Self.listing(request, defaultLimit: 50) } catch { return error.response }
            do {
                return Self.json(try await gateway.writer.sessions(listing.filter, limit: listing.limit).json())
            } catch {
                return Self.databaseFailed(error)
            }
        }
        router.get("/api/calls") { request, _ -> Response in
            let listing: (filter: StatsFilter, limit: Int)
            do throws(GatewayError) { listing = try Self.listing(request, defaultLimit: 100) } catch { return error.response }
            do {
                return Self.json(try await gateway.writer.calls(listing.filter, limit: listing.limit).json())
            } catch {
                return Self.databaseFailed(error)
            }
        }
        router.get("/api/events") { request, _ -> Response in
            await events(request)
        }
        router.get("/api/budget") { request, _ -> Response in
            let parameters = Self.parameters(request)
            let session = parameters["session"].flatMap { $0.isEmpty ? nil : $0 }
            do {
                return Self.json(try await gateway.budgetReport(session: session).json())
            } catch {
                return Self.databaseFailed(error)
            }
        }
        router.post("/api/cache/purge") { request, context -> Response in
            if let refusal = refusal(request) { return refusal }
            let removed = gateway.cache.removeAll()
            return try Purged(purged_entries: removed.entries, purged_bytes: removed.bytes).response(from: request, context: context)
        }
        router.post("/api/reload") { request, context -> Response in
            if let refusal = refusal(request) { return refusal }
            // It reads the config and the prices from disk: not on the serving loop.
            let outcome = try await NIOThreadPool.singleton.runIfActive { reload() }
            return try Reloaded(reloaded: outcome.applied, status: outcome.detail).response(from: request, context: context)
        }
        router.get("/metrics") { _, _ -> Response in
            let text = gateway.metrics.render(cache: gateway.cache, writer: gateway.writer, upstream: gateway.upstreamSlots)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}

extension AdminRoutes {
    static let lastEventID = HTTPField.Name("last-event-id")!
    /// Marks a response that ends by itself as the daemon begins to drain (the event stream): the
    /// server does not count it among the requests a drain waits for, and removes the field before
    /// the response leaves.
    public static let endsAtDrain = HTTPField.Name("x-cco-ends-at-drain")!
    /// The most calls sent to a client that reconnects, from the one after the last it saw.
    static let replayLimit = 1000

    /// `GET /api/events`: each call as it is written, as a server-sent event `call` whose id is the
    /// call's and whose data is its `/api/calls` JSON. A client that reconnects with `Last-Event-ID`
    /// (an `EventSource` does) or `?after=ID` is first sent the calls it missed.
    func events(_ request: Request) async -> Response {
        let afterText = request.headers[Self.lastEventID] ?? Self.parameters(request)["after"]
        var after: Int64?
        if let afterText {
            guard let id = Int64(afterText), id >= 0 else {
                return GatewayError.badRequest("cco: Last-Event-ID (or after) must be the id of a call, found \"\(afterText.prefix(40))\"").response
            }
            after = id
        }
        // Subscribed before the missed calls are read: a call written in between comes twice and
        // is sent once, rather than not at all.
        let subscription: AsyncStream<CallEvents.Event>?
        do { subscription = try await gateway.writer.subscribeToCalls() } catch {
            return Self.databaseFailed(error)
        }
        guard let stream = subscription else {
            var response = GatewayError(status: .serviceUnavailable, type: "overloaded_error",
                                        message: "cco: the daemon is stopping; reconnect in a moment").response
            response.headers[.retryAfter] = "1"
            return response
        }
        var missed: [CallRecord] = []
        if let after {
            do { missed = try await gateway.writer.calls(after: after, limit: Self.replayLimit) } catch {
                return Self.databaseFailed(error)
            }
        }
        let replay = missed, start = missed.last?.id ?? after ?? 0
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store", Self.endsAtDrain: "1"],
            body: ResponseBody { writer in
                var last = start
                // A reconnection is tried a second after the stream ends (the daemon restarting).
                try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                for call in replay { try await writer.write(Self.event(call)) }
                for await event in stream {
                    switch event {
                    case .call(let call):
                        guard call.id > last else { continue }
                        last = call.id
                        try await writer.write(Self.event(call))
                    case .keepAlive:
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    }
                }
                try await writer.finish(nil)
            })
    }

    static func event(_ call: CallRecord) -> ByteBuffer {
        var buffer = ByteBuffer(string: "id: \(call.id)\nevent: call\ndata: ")
        buffer.writeBytes(call.jsonLine())
        buffer.writeString("\n\n")
        return buffer
    }
}

/// What a reload did: the new config applied, or refused (the old one stays in force).
public struct ReloadOutcome: Sendable, Hashable {
    public let applied: Bool
    /// What was applied (`reloaded: log_level = debug`), or why the new config was refused.
    public let detail: String

    public init(applied: Bool, detail: String) {
        self.applied = applied
        self.detail = detail
    }
}
