public import CCOAnalytics
import CCOCore
public import Hummingbird
import NIOCore

/// `GET /api/stats` (analytics totals as JSON) and `GET /metrics` (Prometheus text).
public struct AdminRoutes: Sendable {
    public let gateway: Gateway

    public init(gateway: Gateway) {
        self.gateway = gateway
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
        router.get("/metrics") { _, _ -> Response in
            let text = gateway.metrics.render(cache: gateway.cache, writer: gateway.writer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: text)))
        }
    }
}
