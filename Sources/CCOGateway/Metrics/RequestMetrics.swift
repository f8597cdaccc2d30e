public import Hummingbird
public import Logging

/// Counts every request the server answers by route pattern, method and status, times it to the
/// response head (to the end of a whole answer of the gateway's, which leaves with its head), and
/// logs it at debug level.
///
/// Called by the server around the router rather than installed as a router middleware: a
/// middleware layer is one more async frame and context copy in every request's chain, measurable
/// at a thousand concurrent streams (docs/benchmarks.md). The route pattern is still the router's:
/// it records it in the context's shared `endpointPath`, which the caller's context sees too.
public struct RequestMetrics: Sendable {
    let metrics: GatewayMetrics

    public init(metrics: GatewayMetrics) {
        self.metrics = metrics
    }

    /// One answered request of the router's, with its response's status: by the method the client
    /// sent (a `HEAD` reaches the routes as a `GET`).
    @inline(never)
    public func answered(_ request: Request, as method: String, context: ConnectionContext, status: Int, since started: ContinuousClock.Instant) {
        answered(method: method, target: request.uri.description, route: context.endpointPath ?? "unmatched", status: status,
                 since: started, logger: context.logger)
    }

    /// One answered request, by its method, target and route pattern (`/v1/models/:id`).
    @inline(never)
    public func answered(method: String, target: String, route: String, status: Int, since started: ContinuousClock.Instant, logger: Logger) {
        let duration = ContinuousClock().now - started
        metrics.requestAnswered(route: route, method: method, status: status, duration: duration)
        let (seconds, attoseconds) = duration.components
        let milliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        logger.debug("\(method) \(target) \(status) in \((milliseconds * 10).rounded() / 10) ms",
                     metadata: ["hb.request.path": .string(target), "hb.request.method": .string(method)])
    }
}
