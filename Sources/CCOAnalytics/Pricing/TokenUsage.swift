/// The token counts of one Messages API call, as the upstream's `usage` reports them.
public struct TokenUsage: Sendable, Hashable, Codable {
    public var input: Int
    public var output: Int
    /// `cache_read_input_tokens`: prompt tokens served from the API's prompt cache.
    public var cacheRead: Int
    /// Prompt tokens written to the prompt cache for 5 minutes: `cache_creation.ephemeral_5m_input_tokens`,
    /// or all of `cache_creation_input_tokens` when the response does not split it.
    public var cacheWrite: Int
    /// Prompt tokens written to the prompt cache for 1 hour: `cache_creation.ephemeral_1h_input_tokens`.
    public var cacheWrite1h: Int
    /// `server_tool_use.web_search_requests`.
    public var webSearchRequests: Int

    public init(input: Int = 0, output: Int = 0, cacheRead: Int = 0, cacheWrite: Int = 0, cacheWrite1h: Int = 0, webSearchRequests: Int = 0) {
        self.input = input
        self.output = output
        self.cacheRead = cacheRead
        self.cacheWrite = cacheWrite
        self.cacheWrite1h = cacheWrite1h
        self.webSearchRequests = webSearchRequests
    }

    /// Every token of the prompt: what a long-context price threshold counts.
    public var promptTokens: Int { input + cacheRead + cacheWrite + cacheWrite1h }

    public static let zero = TokenUsage()
}
