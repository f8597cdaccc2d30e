import CCOCore
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Anthropic's model prices in LiteLLM's format (`model_prices_and_context_window.json`): per-token
/// costs by model name, with the 1-hour cache write, long-context tiers (`*_above_200k_tokens`) and
/// web search. Only entries with `"litellm_provider": "anthropic"` (and chat mode) are read.
public struct PriceData: Sendable, Hashable {
    /// Where the data came from, and which version: what `cco pricing show` prints.
    public var source: String
    public var models: [String: ModelPrice]

    public init(source: String, models: [String: ModelPrice]) {
        self.source = source
        self.models = models
    }

    /// The table compiled into cco (`scripts/update-prices`).
    public static let builtIn: PriceData = {
        // Generated from a validated copy; a failure here is a build defect the tests catch.
        (try? PriceData(json: Array(BuiltInPriceData.json.utf8), source: BuiltInPriceData.source))
            ?? PriceData(source: BuiltInPriceData.source + " (unreadable)", models: [:])
    }()

    /// The copy `cco pricing update` stored at `path`, or the built-in data when there is none.
    ///
    /// - Throws: ``PriceDataError`` naming the file, when it exists but cannot be read or used.
    public static func current(storedAt path: String) throws(PriceDataError) -> PriceData {
        let bytes: [UInt8]?
        do { bytes = try FileSystem.readIfExists(path) } catch { throw PriceDataError("\(path): \(error)") }
        guard let bytes else { return .builtIn }
        do { return try PriceData(json: bytes, source: path) } catch { throw PriceDataError("\(path): \(error.message)") }
    }

    /// The key of the object cco adds when it stores a copy (`cco pricing update`): where it came from.
    static let sourceKey = "cco_price_data"

    /// Reads LiteLLM's JSON, or the copy `cco pricing update` stored.
    ///
    /// - Parameter source: says where the data came from; a stored copy's own record wins.
    /// - Throws: ``PriceDataError`` naming the model and field, when the JSON is not an object, has no
    ///   Anthropic chat model, or has a price that is not a number from 0 up.
    public init(json: [UInt8], source: String) throws(PriceDataError) {
        let entries: [String: Entry]
        do {
            entries = try JSONDecoder().decode([String: Entry].self, from: Data(json))
        } catch {
            throw PriceDataError("not a JSON object of models (LiteLLM's model_prices_and_context_window.json): \(Self.describe(error))")
        }
        var models: [String: ModelPrice] = [:]
        for (name, entry) in entries where entry.provider == "anthropic" && (entry.mode ?? "chat") == "chat" {
            models[name] = try entry.price(model: name)
        }
        guard !models.isEmpty else {
            throw PriceDataError("no model with \"litellm_provider\": \"anthropic\"; is it LiteLLM's model_prices_and_context_window.json?")
        }
        self.models = models
        self.source = entries[Self.sourceKey]?.storedSource ?? source
    }

    /// The JSON `cco pricing update` stores: the Anthropic entries as LiteLLM wrote them, and where
    /// they came from; with the prices it holds, as checked.
    public static func storedCopy(of json: [UInt8], source: String) throws(PriceDataError) -> (json: [UInt8], data: PriceData) {
        let data = try PriceData(json: json, source: source)
        guard let object = try? JSONDecoder().decode([String: JSONValue].self, from: Data(json)) else {
            throw PriceDataError("not a JSON object")
        }
        var kept: [String: JSONValue] = [sourceKey: .object(["source": .string(source)])]
        for (name, value) in object {
            guard case .object(let fields) = value, fields["litellm_provider"] == .string("anthropic") else { continue }
            kept[name] = value
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (Array((try? encoder.encode(kept)) ?? Data()) + [UInt8(ascii: "\n")], data)
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            return context.underlyingError.map { "\($0)" } ?? context.debugDescription
        }
        if case DecodingError.typeMismatch(_, let context) = error { return context.debugDescription }
        return "\(error)"
    }

    /// One model's entry; every field optional, so that entries of other providers (and LiteLLM's
    /// `sample_spec`, whose values are descriptions) never fail the whole file.
    private struct Entry: Decodable {
        var provider: String?
        var mode: String?
        /// `source` of the object cco adds to a stored copy (``PriceData/sourceKey``).
        var storedSource: String?
        /// Every numeric field, by name.
        var numbers: [String: Double] = [:]
        /// Fields that should be prices but are not numbers.
        var malformed: [String] = []
        var webSearch: Double?

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: any Decoder) throws {
            guard let container = try? decoder.container(keyedBy: Key.self) else { return }
            provider = try? container.decode(String.self, forKey: Key(stringValue: "litellm_provider"))
            mode = try? container.decode(String.self, forKey: Key(stringValue: "mode"))
            if let nested = try? container.nestedContainer(keyedBy: Key.self, forKey: Key(stringValue: "search_context_cost_per_query")) {
                webSearch = (try? nested.decode(Double.self, forKey: Key(stringValue: "search_context_size_medium")))
                    ?? nested.allKeys.compactMap { try? nested.decode(Double.self, forKey: $0) }.max()
            }
            storedSource = try? container.decode(String.self, forKey: Key(stringValue: "source"))
            for key in container.allKeys where Entry.isPriceField(key.stringValue) {
                if let number = try? container.decode(Double.self, forKey: key) {
                    numbers[key.stringValue] = number
                } else if (try? container.decodeNil(forKey: key)) != true {
                    malformed.append(key.stringValue)
                }
            }
        }

        static let bases = ["input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost",
                            "cache_creation_input_token_cost", "cache_creation_input_token_cost_above_1hr"]

        static func isPriceField(_ name: String) -> Bool {
            bases.contains { name == $0 || (name.hasPrefix($0 + "_above_") && name.hasSuffix("k_tokens")) }
        }

        /// The long-context threshold named by fields such as `input_cost_per_token_above_200k_tokens`.
        var tierThreshold: Int? {
            numbers.keys.compactMap { name -> Int? in
                guard name.hasSuffix("k_tokens"), let last = name.split(separator: "_above_").last else { return nil }
                return Int(last.dropLast("k_tokens".count)).map { $0 * 1000 }
            }.min()
        }

        func price(model: String) throws(PriceDataError) -> ModelPrice {
            if let field = malformed.sorted().first {
                throw PriceDataError("\(model): `\(field)` must be a number (USD per token)")
            }
            for (field, value) in numbers.sorted(by: { $0.key < $1.key }) where !(value.isFinite && value >= 0) {
                throw PriceDataError("\(model): `\(field)` must be a number from 0 up (USD per token), found \(value)")
            }
            if let webSearch, !(webSearch.isFinite && webSearch >= 0) {
                throw PriceDataError("\(model): `search_context_cost_per_query` must be a number from 0 up (USD per search)")
            }
            guard let input = numbers["input_cost_per_token"], let output = numbers["output_cost_per_token"] else {
                throw PriceDataError("\(model): needs both `input_cost_per_token` and `output_cost_per_token`")
            }
            let perMillion = { (name: String) in numbers[name].map { $0 * 1_000_000 } }
            var price = ModelPrice(input: input * 1_000_000, output: output * 1_000_000,
                                   cacheRead: perMillion("cache_read_input_token_cost"),
                                   cacheWrite: perMillion("cache_creation_input_token_cost"),
                                   cacheWrite1h: perMillion("cache_creation_input_token_cost_above_1hr"),
                                   webSearch: webSearch ?? 0)
            if let threshold = tierThreshold {
                let suffix = "_above_\(threshold / 1000)k_tokens"
                let tierInput = perMillion("input_cost_per_token" + suffix) ?? price.input
                price.longContext = .init(
                    thresholdTokens: threshold, input: tierInput,
                    output: perMillion("output_cost_per_token" + suffix) ?? price.output,
                    cacheRead: perMillion("cache_read_input_token_cost" + suffix) ?? price.cacheRead,
                    cacheWrite: perMillion("cache_creation_input_token_cost" + suffix) ?? price.cacheWrite,
                    cacheWrite1h: perMillion("cache_creation_input_token_cost_above_1hr" + suffix) ?? price.cacheWrite1h)
            }
            return price
        }
    }
}

/// Why price data was refused: one line that names the model and field.
public struct PriceDataError: Error, Sendable, Hashable, CustomStringConvertible {
    public let message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}
