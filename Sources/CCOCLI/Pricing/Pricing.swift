import ArgumentParser
import CCOAnalytics
import CCOCore

/// `cco pricing …`: the prices calls are charged at, and where they come from.
struct Pricing: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the model prices cost is computed with, or take a newer copy of them.",
        subcommands: [Show.self, Update.self])

    /// What the daemon charges with: the stored copy (or the built-in data) under the config's
    /// `[pricing]` tables.
    static func table(_ environment: CommandEnvironment) throws -> PricingTable {
        let config = try environment.loadConfig()
        do {
            return PricingTable(data: try PriceData.current(storedAt: environment.paths.priceFile), overrides: config.pricing)
        } catch {
            throw failure("\(error.message); replace it with `cco pricing update FILE|URL`, or remove it to use the built-in prices")
        }
    }
}
