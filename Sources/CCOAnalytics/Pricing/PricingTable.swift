public import CCOCore

/// What a model costs, in US dollars per million tokens.
public struct ModelPrice: Sendable, Hashable {
    public var input: Double
    public var output: Double
    public var cacheRead: Double
    public var cacheWrite: Double

    /// Prompt-cache prices default to the API's multipliers: reads 0.1×, writes 1.25× the input price.
    public init(input: Double, output: Double, cacheRead: Double? = nil, cacheWrite: Double? = nil) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead ?? input * 0.1
        self.cacheWrite = cacheWrite ?? input * 1.25
    }

    /// A config `[pricing."MODEL"]` table, with the API's multipliers for the cache prices left out.
    public init(_ override: PriceOverride) {
        self.init(input: override.input, output: override.output, cacheRead: override.cacheRead, cacheWrite: override.cacheWrite)
    }

    /// The cost of `usage` in US dollars.
    public func cost(of usage: TokenUsage) -> Double {
        (Double(usage.input) * input + Double(usage.output) * output
            + Double(usage.cacheRead) * cacheRead + Double(usage.cacheWrite) * cacheWrite) / 1_000_000
    }
}

/// Model prices by model-name prefix: `claude-sonnet-4-5` prices `claude-sonnet-4-5-20250929`.
/// The longest matching prefix wins, so `claude-opus-4-5` is not priced as `claude-opus-4`.
public struct PricingTable: Sendable, Hashable {
    public private(set) var prices: [String: ModelPrice]

    public init(_ prices: [String: ModelPrice]) {
        self.prices = prices
    }

    /// The built-in prices (Anthropic's list prices, 5-minute cache writes), with `overrides`
    /// (config `[pricing."MODEL"]` tables) replacing or adding entries.
    public static func builtIn(overriddenBy overrides: [String: PriceOverride] = [:]) -> PricingTable {
        PricingTable(listPrices.merging(overrides.mapValues(ModelPrice.init)) { _, override in override })
    }

    /// The price for `model`, or nil when no prefix matches (the call is recorded with cost 0 and
    /// counted as unpriced).
    public func price(for model: String) -> ModelPrice? {
        var best: (prefix: String, price: ModelPrice)?
        for (prefix, price) in prices where model.hasPrefix(prefix) {
            if best == nil || prefix.count > best!.prefix.count { best = (prefix, price) }
        }
        return best?.price
    }

    static let listPrices: [String: ModelPrice] = [
        "claude-opus-4-5": ModelPrice(input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25),
        "claude-opus-4-1": ModelPrice(input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75),
        "claude-opus-4": ModelPrice(input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75),
        "claude-3-opus": ModelPrice(input: 15, output: 75, cacheRead: 1.5, cacheWrite: 18.75),
        "claude-sonnet-4-5": ModelPrice(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75),
        "claude-sonnet-4": ModelPrice(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75),
        "claude-3-7-sonnet": ModelPrice(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75),
        "claude-3-5-sonnet": ModelPrice(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75),
        "claude-haiku-4-5": ModelPrice(input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25),
        "claude-3-5-haiku": ModelPrice(input: 0.8, output: 4, cacheRead: 0.08, cacheWrite: 1),
        "claude-3-haiku": ModelPrice(input: 0.25, output: 1.25, cacheRead: 0.03, cacheWrite: 0.3),
    ]
}
