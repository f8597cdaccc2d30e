/// A `[pricing."MODEL"]` table as written in the config: US dollars per million tokens. The prompt
/// cache prices are optional; analytics fills in the API's multipliers for those left out.
public struct PriceOverride: Sendable, Hashable {
    public var input: Double
    public var output: Double
    public var cacheRead: Double?
    public var cacheWrite: Double?

    public init(input: Double, output: Double, cacheRead: Double? = nil, cacheWrite: Double? = nil) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
    }
}
