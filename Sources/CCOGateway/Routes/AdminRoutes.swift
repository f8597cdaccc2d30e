public import CCOAnalytics
import CCOCore
public import Hummingbird
import NIOCore

/// `GET /api/stats` (analytics totals as JSON), `GET /api/sessions` (Claude Code sessions), `GET /metrics` (Prometheus text), and the two
/// mutating endpoints, which need the admin token: `POST /api/reload` and `POST /api/cache/purge`.
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

    static func json(_ bytes: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    public func register(on router: Router<BasicRequestContext>) {
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
                return GatewayError(status: .internalServerError, type: "api_error", message: "cco: the analytics database failed: \(error)").response
            }
        }
        router.get("/api/sessions") { request, _ -> Response in
            let parameters = Self.parameters(request)
            let filter: StatsFilter
            do { filter = try StatsFilter(parameters: parameters) } catch { return GatewayError.badRequest("cco: \(error)").response }
            guard let limit = Int(parameters["limit"] ?? "50"), (1 ... 10_000).contains(limit) else {
                return GatewayError.badRequest("cco: limit must be a number from 1 to 10000").response
            }
            do {
                return Self.json(try await gateway.writer.sessions(filter, limit: limit).json())
            } catch {
                return GatewayError(status: .internalServerError, type: "api_error", message: "cco: the analytics database failed: \(error)").response
            }
        }
        router.get("/api/budget") { request, _ -> Response in
            let parameters = Self.parameters(request)
            let session = parameters["session"].flatMap { $0.isEmpty ? nil : $0 }
            do {
                return Self.json(try await gateway.budgetReport(session: session).json())
            } catch {
                return GatewayError(status: .internalServerError, type: "api_error", message: "cco: the analytics database failed: \(error)").response
            }
        }
        router.post("/api/cache/purge") { request, context -> Response in
            if let refusal = refusal(request) { return refusal }
            let removed = gateway.cache.removeAll()
            return try Purged(purged_entries: removed.entries, purged_bytes: removed.bytes).response(from: request, context: context)
        }
        router.post("/api/reload") { request, context -> Response in
            if let refusal = refusal(request) { return refusal }
            let outcome = reload()
            return try Reloaded(reloaded: outcome.applied, status: outcome.detail).response(from: request, context: context)
        }
        router.get("/metrics") { _, _ -> Response in
            let text = gateway.metrics.render(cache: gateway.cache, writer: gateway.writer, upstream: gateway.upstreamSlots)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
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
