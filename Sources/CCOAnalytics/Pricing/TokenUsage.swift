/// The token counts of one Messages API call, as the upstream's `usage` reports them.
public struct TokenUsage: Sendable, Hashable, Codable {
    public var input: Int
    public var output: Int
    /// `cache_read_input_tokens`: prompt tokens served from the API's prompt cache.
    public var cacheRead: Int
    /// `cache_creation_input_tokens`: prompt tokens written to the API's prompt cache.
    public var cacheWrite: Int

    public init(input: Int = 0, output: Int = 0, cacheRead: Int = 0, cacheWrite: Int = 0) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
    }

    public static let zero = TokenUsage()
}
