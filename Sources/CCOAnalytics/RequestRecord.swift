public import CCOCore

/// One gateway request, as the analytics table stores it.
public struct RequestRecord: Sendable, Hashable {
    /// When the request arrived, in milliseconds since the Unix epoch.
    public var timestampMilliseconds: Int64
    /// The route's path pattern, e.g. `/v1/messages`.
    public var route: String
    /// The request's `model`, when it named one.
    public var model: String?
    public var status: Int
    /// From the request's arrival to the last byte of the response.
    public var latencyMilliseconds: Double
    public var usage: TokenUsage
    public var cacheHit: Bool
    public var streamed: Bool
    /// What the call cost upstream (0 for a cache hit, which cost nothing).
    public var costUSD: Double
    /// On a cache hit, what the call would have cost upstream.
    public var savedUSD: Double
    /// False when the model had no price, so cost and savings are unknown rather than 0.
    public var priced: Bool
    /// The client's User-Agent.
    public var client: String?

    public init(timestampMilliseconds: Int64, route: String, model: String?, status: Int, latencyMilliseconds: Double,
                usage: TokenUsage = .zero, cacheHit: Bool = false, streamed: Bool = false, costUSD: Double = 0,
                savedUSD: Double = 0, priced: Bool = true, client: String? = nil) {
        self.timestampMilliseconds = timestampMilliseconds
        self.route = route
        self.model = model
        self.status = status
        self.latencyMilliseconds = latencyMilliseconds
        self.usage = usage
        self.cacheHit = cacheHit
        self.streamed = streamed
        self.costUSD = costUSD
        self.savedUSD = savedUSD
        self.priced = priced
        self.client = client
    }

    /// Prices `usage` with `pricing`: a hit costs nothing and saves what the call would have cost.
    public mutating func price(with pricing: PricingTable) {
        guard let model, usage != .zero else { return }
        guard let price = pricing.price(for: model) else {
            priced = false
            return
        }
        let cost = price.cost(of: usage)
        if cacheHit { savedUSD = cost; costUSD = 0 } else { costUSD = cost; savedUSD = 0 }
    }
}
