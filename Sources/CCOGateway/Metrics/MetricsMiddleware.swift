public import Hummingbird
import Logging

/// Counts every request by route pattern, method and status, times it to the response head, and
/// logs it at debug level.
public struct MetricsMiddleware: RouterMiddleware {
    public typealias Context = ConnectionContext
    let metrics: GatewayMetrics

    public init(metrics: GatewayMetrics) {
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock().now
        do {
            let response = try await next(request, context)
            answered(request, context, status: response.status.code, since: started)
            return response
        } catch {
            answered(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: started)
            throw error
        }
    }

    /// Out of `handle`, whose frame a connection's task keeps for as long as the connection is open.
    private func answered(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        let duration = ContinuousClock().now - started
        let route = context.endpointPath ?? "unmatched"
        metrics.requestAnswered(route: route, method: request.method.rawValue, status: status, duration: duration)
        let (seconds, attoseconds) = duration.components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        context.logger.debug("\(request.method.rawValue) \(request.uri) \(status) in \((milliseconds * 10).rounded() / 10) ms",
                             metadata: ["hb.request.path": .stringConvertible(request.uri), "hb.request.method": .string(request.method.rawValue)])
    }
}
