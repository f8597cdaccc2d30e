import ArgumentParser
import CCOAnalytics
import CCOCore

extension Pricing {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the price table and its source, or how one model is priced.",
            discussion: "Prices are USD per million tokens; web search is USD per search. Exit status 1 when MODEL has no price.")

        @Argument(help: "A model name as the API reports it, e.g. claude-opus-4-7-20260416.")
        var model: String?

        func run() throws {
            let environment = try CommandEnvironment.current()
            let table = try Pricing.table(environment)
            guard let model else {
                Terminal.out(PricingText.table(table))
                return
            }
            guard let match = table.match(for: model) else {
                throw failure("\(model) has no price in \(table.data.source) or [pricing]: its calls are recorded with their tokens and counted as unpriced; add [pricing.\"\(model)\"] with input and output to \(environment.paths.configFile)")
            }
            Terminal.out(PricingText.model(model, match, source: table.data.source))
        }
    }
}

/// The text of `cco pricing show`.
enum PricingText {
    static func table(_ table: PricingTable) -> String {
        var text = "prices: \(table.data.source)\n"
        if !table.overrides.isEmpty { text += "overrides: \(table.overrides.count) [pricing] \(table.overrides.count == 1 ? "table" : "tables") in the config (marked *)\n" }
        text += "USD per million tokens; web search USD per search; long context: the prices past a prompt of that many tokens\n\n"
        let rows = table.data.models.merging(table.overrides) { _, override in override }.sorted { $0.key < $1.key }.map { name, price in
            [name + (table.overrides[name] != nil ? " *" : ""), number(price.input), number(price.output), number(price.cacheRead),
             number(price.cacheWrite), number(price.cacheWrite1h), price.webSearch > 0 ? number(price.webSearch) : "-",
             price.longContext.map { ">\($0.thresholdTokens / 1000)k: \(number($0.input))/\(number($0.output))" } ?? "-"]
        }
        return text + StatsText.columns(["MODEL", "INPUT", "OUTPUT", "CACHE READ", "WRITE 5M", "WRITE 1H", "WEB SEARCH", "LONG CONTEXT"], rows)
    }

    static func model(_ model: String, _ match: PricingTable.Match, source: String) -> String {
        let price = match.price
        var text = model
        if match.name != model { text += " (priced as \(match.name))" }
        text += ": \(match.isOverride ? "[pricing.\"\(match.name)\"] in the config" : source)\n"
        text += "  input \(number(price.input)), output \(number(price.output)), cache read \(number(price.cacheRead)), "
        text += "cache write \(number(price.cacheWrite)) (5 min) / \(number(price.cacheWrite1h)) (1 h) USD per million tokens\n"
        if price.webSearch > 0 { text += "  web search \(number(price.webSearch)) USD per search\n" }
        if let tier = price.longContext {
            text += "  past \(tier.thresholdTokens) prompt tokens: input \(number(tier.input)), output \(number(tier.output)), "
            text += "cache read \(number(tier.cacheRead)), cache write \(number(tier.cacheWrite)) / \(number(tier.cacheWrite1h))\n"
        }
        return text
    }

    /// `3`, `0.3`, `6.25`, `0.08`: as many decimals as the price has, up to six.
    static func number(_ value: Double) -> String {
        let micros = Int64((value * 1_000_000).rounded())
        var fraction = String(micros % 1_000_000)
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        return "\(micros / 1_000_000)" + (fraction.isEmpty ? "" : ".\(fraction)")
    }
}
