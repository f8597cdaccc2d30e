import Testing
import CCOCore
@testable import CCOAnalytics

@Suite struct PricingTableTests {
    @Test func aModelIsPricedByItsExactNameThenItsUndatedAliasAndNeverByAFamilyPrefix() throws {
        let table = PricingTable()
        #expect(table.match(for: "claude-opus-4-7")?.name == "claude-opus-4-7")
        #expect(table.price(for: "claude-opus-4-7")?.input == 5, "list price, not claude-opus-4's")
        #expect(table.price(for: "claude-opus-4-7")?.output == 25)
        // A dated name the data does not list falls back to its undated alias.
        #expect(table.match(for: "claude-sonnet-5-20270101")?.name == "claude-sonnet-5")
        #expect(table.price(for: "claude-sonnet-5")?.input == 2)
        // Never a shorter family name: unpriced instead of guessed.
        #expect(table.price(for: "claude-opus-4") == nil)
        #expect(table.price(for: "claude-opus-4-7-preview") == nil)
        #expect(table.price(for: "claude-sonnet-5-5x") == nil)
        #expect(table.price(for: "gpt-4") == nil)
    }

    @Test func aConfigOverrideWinsByExactNameOrAlias() {
        let table = PricingTable(overrides: ["claude-sonnet-4-5": PriceOverride(input: 1, output: 1)])
        #expect(table.match(for: "claude-sonnet-4-5-20250929") == PricingTable.Match(
            name: "claude-sonnet-4-5", price: ModelPrice(input: 1, output: 1), isOverride: true),
                "the override's alias wins over the data's dated name")
        #expect(table.match(for: "claude-opus-4-7")?.isOverride == false)
        #expect(table.match(for: "claude-sonnet-4-5")?.isOverride == true)
        #expect(table.price(for: "claude-sonnet-4-5")?.input == 1)
        let added = PricingTable(overrides: ["my-model": PriceOverride(input: 7, output: 8)])
        #expect(added.match(for: "my-model-20260101")?.price.input == 7)
    }

    @Test(arguments: ["", "claude", "claude-x-2026010", "claude-x-2026010a", "claude-x_20260101", "claude-x-٢٠٢٦٠١٠١",
                      "claude-x-20260101\u{301}", "claude-x-20260101 "])
    func namesWithoutATrailingDateHaveNoAlias(name: String) {
        #expect(PricingTable.undatedAlias(of: name) == nil)
    }

    @Test func aTrailingDateIsDroppedWhateverComesBeforeIt() {
        #expect(PricingTable.undatedAlias(of: "claude-sonnet-4-5-20250929") == "claude-sonnet-4-5")
        #expect(PricingTable.undatedAlias(of: "modèle-é-20260101") == "modèle-é")
        #expect(PricingTable.undatedAlias(of: "-20260101") == "")
        #expect(PricingTable.undatedAlias(of: "x-2026-20260101") == "x-2026")
    }

    @Test func aConfigOverrideWithoutCachePricesGetsTheAPIsMultipliers() {
        #expect(ModelPrice(PriceOverride(input: 2, output: 10.5)) == ModelPrice(input: 2, output: 10.5, cacheRead: 0.2, cacheWrite: 2.5, cacheWrite1h: 4))
        #expect(ModelPrice(PriceOverride(input: 1, output: 2, cacheRead: 0.5, cacheWrite: 1.5, cacheWrite1h: 3, webSearch: 0.02))
            == ModelPrice(input: 1, output: 2, cacheRead: 0.5, cacheWrite: 1.5, cacheWrite1h: 3, webSearch: 0.02))
    }

    @Test func costIsTokensTimesPricePerMillionWithOneHourWritesAndSearches() {
        let price = ModelPrice(input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75, cacheWrite1h: 6, webSearch: 0.01)
        let usage = TokenUsage(input: 1_000_000, output: 100_000, cacheRead: 1_000_000, cacheWrite: 200_000, cacheWrite1h: 100_000, webSearchRequests: 3)
        #expect(abs(price.cost(of: usage) - (3 + 1.5 + 0.3 + 0.75 + 0.6 + 0.03)) < 1e-9)
    }

    @Test func aPromptPastTheThresholdIsChargedAtTheLongContextPricesWhole() {
        let tier = ModelPrice.LongContext(thresholdTokens: 200_000, input: 6, output: 22.5, cacheRead: 0.6, cacheWrite: 7.5, cacheWrite1h: 12)
        let price = ModelPrice(input: 3, output: 15, longContext: tier)
        let short = TokenUsage(input: 100_000, output: 1_000, cacheRead: 100_000)
        #expect(!price.isLongContext(short), "200,000 prompt tokens is not past 200k")
        #expect(abs(price.cost(of: short) - (0.3 + 0.015 + 0.03)) < 1e-9)
        let long = TokenUsage(input: 100_000, output: 1_000, cacheRead: 100_000, cacheWrite: 1)
        #expect(price.isLongContext(long))
        #expect(abs(price.cost(of: long) - (0.6 + 0.0225 + 0.06 + 0.0000075)) < 1e-9)
    }
}
