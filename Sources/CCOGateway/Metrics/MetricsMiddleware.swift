public import Hummingbird

/// Counts every request by route pattern, method and status, and times it to the response head.
public struct MetricsMiddleware: RouterMiddleware {
    public typealias Context = ConnectionContext
    let metrics: GatewayMetrics

    public init(metrics: GatewayMetrics) {
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock().now
        let method = request.method.rawValue
        do {
            let response = try await next(request, context)
            metrics.requestAnswered(route: context.endpointPath ?? "unmatched", method: method, status: response.status.code,
                                    duration: ContinuousClock().now - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.requestAnswered(route: context.endpointPath ?? "unmatched", method: method, status: status,
                                    duration: ContinuousClock().now - started)
            throw error
        }
    }
}
