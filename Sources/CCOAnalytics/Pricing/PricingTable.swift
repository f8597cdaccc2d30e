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
        let names = [model, Self.undatedAlias(of: model)].compactMap { $0 }
        for name in names {
            if let price = overrides[name] { return Match(name: name, price: price, isOverride: true) }
        }
        for name in names {
            if let price = data.models[name] { return Match(name: name, price: price, isOverride: false) }
        }
        return nil
    }

    /// `claude-x-y-20260416` → `claude-x-y`: the name without a trailing `-YYYYMMDD` date.
    public static func undatedAlias(of model: String) -> String? {
        let date = model.suffix(9)
        guard date.count == 9, date.first == "-", date.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return String(model.dropLast(9))
    }
}
