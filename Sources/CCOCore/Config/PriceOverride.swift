/// A `[pricing."MODEL"]` table as written in the config: US dollars per million tokens (and per web
/// search). The prompt cache prices are optional; analytics fills in the API's multipliers for those
/// left out.
public struct PriceOverride: Sendable, Hashable {
    public var input: Double
    public var output: Double
    public var cacheRead: Double?
    /// A 5-minute prompt-cache write.
    public var cacheWrite: Double?
    /// A 1-hour prompt-cache write.
    public var cacheWrite1h: Double?
    /// One web search request, in US dollars.
    public var webSearch: Double?

    public init(input: Double, output: Double, cacheRead: Double? = nil, cacheWrite: Double? = nil,
                cacheWrite1h: Double? = nil, webSearch: Double? = nil) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
        self.cacheWrite1h = cacheWrite1h
        self.webSearch = webSearch
    }
}
