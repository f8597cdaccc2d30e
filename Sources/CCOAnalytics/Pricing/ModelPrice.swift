public import CCOCore

/// What a model costs: US dollars per million tokens, and per web search.
public struct ModelPrice: Sendable, Hashable {
    public var input: Double
    public var output: Double
    public var cacheRead: Double
    /// A prompt-cache write that lives 5 minutes (the default `cache_control`).
    public var cacheWrite: Double
    /// A prompt-cache write that lives 1 hour (`"ttl": "1h"`).
    public var cacheWrite1h: Double
    /// US dollars per web search request (`server_tool_use.web_search_requests`).
    public var webSearch: Double
    /// Prices that apply to the whole call once its prompt is longer than a threshold.
    public var longContext: LongContext?

    /// The prices of a call whose prompt (input, cache reads and cache writes together) is longer
    /// than `thresholdTokens`.
    public struct LongContext: Sendable, Hashable {
        public var thresholdTokens: Int
        public var input: Double
        public var output: Double
        public var cacheRead: Double
        public var cacheWrite: Double
        public var cacheWrite1h: Double

        public init(thresholdTokens: Int, input: Double, output: Double, cacheRead: Double, cacheWrite: Double, cacheWrite1h: Double) {
            self.thresholdTokens = thresholdTokens
            self.input = input
            self.output = output
            self.cacheRead = cacheRead
            self.cacheWrite = cacheWrite
            self.cacheWrite1h = cacheWrite1h
        }
    }

    /// Prompt-cache prices default to the API's multipliers of the input price: reads 0.1×,
    /// 5-minute writes 1.25×, 1-hour writes 2×.
    public init(input: Double, output: Double, cacheRead: Double? = nil, cacheWrite: Double? = nil,
                cacheWrite1h: Double? = nil, webSearch: Double = 0, longContext: LongContext? = nil) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead ?? input * 0.1
        self.cacheWrite = cacheWrite ?? input * 1.25
        self.cacheWrite1h = cacheWrite1h ?? input * 2
        self.webSearch = webSearch
        self.longContext = longContext
    }

    /// A config `[pricing."MODEL"]` table, with the API's multipliers for the cache prices left out.
    public init(_ override: PriceOverride) {
        self.init(input: override.input, output: override.output, cacheRead: override.cacheRead,
                  cacheWrite: override.cacheWrite, cacheWrite1h: override.cacheWrite1h, webSearch: override.webSearch ?? 0)
    }

    /// Whether `usage` is charged at the long-context prices.
    public func isLongContext(_ usage: TokenUsage) -> Bool {
        guard let longContext else { return false }
        return usage.promptTokens > longContext.thresholdTokens
    }

    /// The cost of `usage` in US dollars.
    public func cost(of usage: TokenUsage) -> Double {
        let rates = isLongContext(usage) ? longContext.map { ($0.input, $0.output, $0.cacheRead, $0.cacheWrite, $0.cacheWrite1h) }!
            : (input, output, cacheRead, cacheWrite, cacheWrite1h)
        let tokens = Double(usage.input) * rates.0 + Double(usage.output) * rates.1 + Double(usage.cacheRead) * rates.2
            + Double(usage.cacheWrite) * rates.3 + Double(usage.cacheWrite1h) * rates.4
        return tokens / 1_000_000 + Double(usage.webSearchRequests) * webSearch
    }
}
