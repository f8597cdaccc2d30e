import Testing
import CCOCore
@testable import CCOAnalytics

@Suite struct PricingTableTests {
    @Test func theLongestModelPrefixPricesACall() throws {
        let table = PricingTable.builtIn()
        #expect(table.price(for: "claude-opus-4-5-20251101")?.input == 5)
        #expect(table.price(for: "claude-opus-4-20250514")?.input == 15)
        #expect(table.price(for: "claude-sonnet-4-5-20250929")?.output == 15)
        #expect(table.price(for: "gpt-4") == nil)
        let overridden = PricingTable.builtIn(overriddenBy: ["claude-sonnet-4-5": PriceOverride(input: 1, output: 1)])
        #expect(overridden.price(for: "claude-sonnet-4-5-20250929")?.input == 1)
        #expect(overridden.price(for: "claude-sonnet-4-20250514")?.input == 3)
    }

    @Test func aConfigOverrideWithoutCachePricesGetsTheAPIsMultipliers() {
        #expect(ModelPrice(PriceOverride(input: 2, output: 10.5)) == ModelPrice(input: 2, output: 10.5, cacheRead: 0.2, cacheWrite: 2.5))
        #expect(ModelPrice(PriceOverride(input: 1, output: 2, cacheRead: 0.5, cacheWrite: 1.5)) == ModelPrice(input: 1, output: 2, cacheRead: 0.5, cacheWrite: 1.5))
    }

    @Test func costIsTokensTimesPricePerMillion() {
        let price = ModelPrice(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75)
        let usage = TokenUsage(input: 1_000_000, output: 100_000, cacheRead: 1_000_000, cacheWrite: 200_000)
        #expect(abs(price.cost(of: usage) - (3 + 1.5 + 0.3 + 0.75)) < 1e-9)
    }
}
