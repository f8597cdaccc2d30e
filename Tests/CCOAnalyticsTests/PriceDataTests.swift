import Testing
import CCOCore
import CCOTestSupport
@testable import CCOAnalytics

@Suite struct PriceDataTests {
    @Test func theBuiltInDataHasEveryAnthropicPriceKind() throws {
        let data = PriceData.builtIn
        #expect(data.source.hasPrefix("LiteLLM "))
        #expect(data.models.count >= 10)
        let opus = try #require(data.models["claude-opus-4-7"])
        #expect(opus == ModelPrice(input: 5, output: 25, cacheRead: 0.5, cacheWrite: 6.25, cacheWrite1h: 10, webSearch: 0.01))
        // Every model the data has is priced with a 1-hour write of 2× input, as the API lists.
        for (name, price) in data.models {
            #expect(abs(price.cacheWrite1h - 2 * price.input) < 1e-9, "\(name)")
        }
    }

    @Test func tiersAreReadFromTheAboveFieldsAndFallBackToTheBasePrice() throws {
        let json = #"""
        {"sample_spec": {"max_input_tokens": "max input tokens", "input_cost_per_token": 0.0, "litellm_provider": "one of …"},
         "claude-long": {"litellm_provider": "anthropic", "mode": "chat", "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05,
                         "input_cost_per_token_above_200k_tokens": 6e-06, "output_cost_per_token_above_200k_tokens": 2.25e-05,
                         "input_cost_per_token_batches": 1.5e-06},
         "bedrock/claude-long": {"litellm_provider": "bedrock", "input_cost_per_token": -1},
         "claude-embed": {"litellm_provider": "anthropic", "mode": "embedding", "input_cost_per_token": 1e-06}}
        """#
        let data = try PriceData(json: Array(json.utf8), source: "test")
        #expect(data.models.keys.sorted() == ["claude-long"])
        let tier = try #require(data.models["claude-long"]?.longContext)
        #expect(tier.thresholdTokens == 200_000)
        #expect(abs(tier.input - 6) < 1e-9 && abs(tier.output - 22.5) < 1e-9)
        #expect(abs(tier.cacheRead - 0.3) < 1e-9, "no tiered cache read: the base price (0.1× input)")
    }

    @Test(arguments: [
        (#"[1, 2]"#, "not a JSON object of models"),
        (#"{"gpt-4": {"litellm_provider": "openai", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06}}"#, "no model with \"litellm_provider\": \"anthropic\""),
        (#"{"claude-x": {"litellm_provider": "anthropic", "input_cost_per_token": "3", "output_cost_per_token": 1e-06}}"#, "claude-x: `input_cost_per_token` must be a number (USD per token)"),
        (#"{"claude-x": {"litellm_provider": "anthropic", "input_cost_per_token": -1e-06, "output_cost_per_token": 1e-06}}"#, "claude-x: `input_cost_per_token` must be a number from 0 up"),
        (#"{"claude-x": {"litellm_provider": "anthropic", "input_cost_per_token": 1e-06}}"#, "claude-x: needs both `input_cost_per_token` and `output_cost_per_token`"),
    ])
    func badDataIsRefusedWithTheModelAndField(json: String, message: String) {
        #expect(throws: PriceDataError.self) { try PriceData(json: Array(json.utf8), source: "test") }
        do {
            _ = try PriceData(json: Array(json.utf8), source: "test")
        } catch {
            #expect(error.message.hasPrefix(message), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func aStoredCopyKeepsOnlyAnthropicEntriesAndSaysWhereItCameFrom() throws {
        let json = #"""
        {"claude-a": {"litellm_provider": "anthropic", "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "supports_vision": true},
         "gpt-4": {"litellm_provider": "openai", "input_cost_per_token": 1e-06, "output_cost_per_token": 1e-06}}
        """#
        let (stored, checked) = try PriceData.storedCopy(of: Array(json.utf8), source: "https://example.com/prices.json, 2026-12-02")
        #expect(checked.models.keys.sorted() == ["claude-a"])
        let text = String(decoding: stored, as: UTF8.self)
        #expect(!text.contains("gpt-4"))
        let data = try PriceData(json: stored, source: "/home/a/.cco/prices.json")
        #expect(data.source == "https://example.com/prices.json, 2026-12-02")
        #expect(data.models["claude-a"]?.output == 2)
    }

    @Test func noStoredFileMeansTheBuiltInData() throws {
        try withTemporaryDirectory { dir in
            #expect(try PriceData.current(storedAt: dir + "/prices.json") == .builtIn)
            try AtomicFile.write("{}", to: dir + "/prices.json")
            #expect(throws: PriceDataError.self) { try PriceData.current(storedAt: dir + "/prices.json") }
        }
    }
}
