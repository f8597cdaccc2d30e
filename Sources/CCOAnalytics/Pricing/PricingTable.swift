public import CCOCore

/// The prices calls are charged at: price data (built in, or the copy `cco pricing update` stored)
/// with the config's `[pricing."MODEL"]` tables over it.
///
/// A model is priced by its exact name, then by its undated alias (`claude-opus-4-7-20260416` →
/// `claude-opus-4-7`), in the overrides first, then in the data; never by a shorter family name. A model found neither way is unpriced: its
/// calls are recorded with their tokens and counted as unpriced, never guessed.
public struct PricingTable: Sendable, Hashable {
    public let data: PriceData
    /// `[pricing."MODEL"]` tables; they win over the data.
    public let overrides: [String: ModelPrice]

    public init(data: PriceData = .builtIn, overrides: [String: PriceOverride] = [:]) {
        self.data = data
        self.overrides = overrides.mapValues(ModelPrice.init)
    }

    /// Where a model's price was found.
    public struct Match: Sendable, Hashable {
        /// The name the price is listed under: the model itself or its undated alias.
        public var name: String
        public var price: ModelPrice
        /// From a `[pricing."MODEL"]` table of the config.
        public var isOverride: Bool
    }

    /// The price for `model`, or nil when it has none.
    public func price(for model: String) -> ModelPrice? { match(for: model)?.price }

    public func match(for model: String) -> Match? {
        // Every recorded call is priced: no list of the two names made, the alias found by bytes.
        let alias = Self.undatedAlias(of: model)
        if !overrides.isEmpty {
            if let price = overrides[model] { return Match(name: model, price: price, isOverride: true) }
            if let alias, let price = overrides[alias] { return Match(name: alias, price: price, isOverride: true) }
        }
        if let price = data.models[model] { return Match(name: model, price: price, isOverride: false) }
        if let alias, let price = data.models[alias] { return Match(name: alias, price: price, isOverride: false) }
        return nil
    }

    /// `claude-x-y-20260416` → `claude-x-y`: the name without a trailing `-YYYYMMDD` date (ASCII
    /// digits).
    public static func undatedAlias(of model: String) -> String? {
        let utf8 = model.utf8
        guard utf8.count >= 9 else { return nil }
        let date = utf8.suffix(9)
        guard date.first == UInt8(ascii: "-"), date.dropFirst().allSatisfy(ASCII.isDigit) else { return nil }
        return String(Substring(utf8.dropLast(9)))
    }
}
