#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A request body of the Messages API, parsed once: what the gateway needs to know of it and its
/// canonical form (keys sorted, no insignificant whitespace), which the cache key hashes.
struct MessagesRequest: Sendable {
    let model: String?
    let stream: Bool
    /// The body re-encoded canonically: two bodies that differ only in key order or whitespace
    /// have the same canonical bytes.
    let canonicalBody: [UInt8]

    /// Why a body is not a JSON object, said so that a client can fix it.
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    init(body: [UInt8]) throws(Malformed) {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch let DecodingError.dataCorrupted(context) {
            let underlying = (context.underlyingError as? any CustomStringConvertible).map { ": \($0)" } ?? ""
            throw Malformed(description: "the request body is not valid JSON (\(context.debugDescription)\(underlying))")
        } catch {
            throw Malformed(description: "the request body is not valid JSON (\(error))")
        }
        guard case .object = value else {
            throw Malformed(description: "the request body must be a JSON object")
        }
        model = value["model"]?.string
        stream = value["stream"]?.bool ?? false
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            canonicalBody = Array(try encoder.encode(value))
        } catch {
            throw Malformed(description: "the request body cannot be re-encoded (\(error))")
        }
    }
}
