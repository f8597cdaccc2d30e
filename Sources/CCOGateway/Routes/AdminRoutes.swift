public import CCOAnalytics
import CCOCore
public import Hummingbird
import NIOCore

/// `GET /api/stats` (analytics totals as JSON), `GET /metrics` (Prometheus text), and the two
/// mutating endpoints, which need the admin token: `POST /api/reload` and `POST /api/cache/purge`.
public struct AdminRoutes: Sendable {
    public let gateway: Gateway
    /// The bearer token of the mutating endpoints (``AdminToken``).
    public let token: String
    /// Re-reads the config, as SIGHUP does, and returns the status it reports.
    public let reload: @Sendable () -> String

    public init(gateway: Gateway, token: String, reload: @escaping @Sendable () -> String) {
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

    private static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text + "\n")))
    }

    public func register(on router: Router<BasicRequestContext>) {
        router.get("/api/stats") { request, _ -> Response in
            let rangeText = request.uri.queryParameters["range"].map(String.init) ?? StatsRange.today.rawValue
            let groupText = request.uri.queryParameters["group_by"].map(String.init) ?? StatsGrouping.model.rawValue
            guard let range = StatsRange(rawValue: rangeText) else {
                return GatewayError.badRequest("cco: range must be one of \(StatsRange.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(rangeText)\"").response
            }
            guard let grouping = StatsGrouping(rawValue: groupText) else {
                return GatewayError.badRequest("cco: group_by must be one of \(StatsGrouping.allCases.map(\.rawValue).joined(separator: ", ")), found \"\(groupText)\"").response
            }
            guard let writer = gateway.writer else {
                return GatewayError(status: .serviceUnavailable, type: "api_error", message: "cco: analytics are not recorded").response
            }
            do {
                let report = try await writer.stats(range: range, groupBy: grouping)
                return Response(status: .ok, headers: [.contentType: "application/json"],
                                body: ResponseBody(byteBuffer: ByteBuffer(bytes: report.json())))
            } catch {
                return GatewayError(status: .internalServerError, type: "api_error", message: "cco: the analytics database failed: \(error)").response
            }
        }
        router.post("/api/cache/purge") { request, _ -> Response in
            if let refusal = refusal(request) { return refusal }
            let removed = gateway.cache.removeAll()
            return Self.json("{\"purged_entries\":\(removed.entries),\"purged_bytes\":\(removed.bytes)}")
        }
        router.post("/api/reload") { request, _ -> Response in
            if let refusal = refusal(request) { return refusal }
            let status = reload()
            let refused = status.contains("reload refused")
            let escaped = status.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"")
            return Self.json("{\"reloaded\":\(!refused),\"status\":\"\(escaped)\"}")
        }
        router.get("/metrics") { _, _ -> Response in
            let text = gateway.metrics.render(cache: gateway.cache, writer: gateway.writer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}
