/// A request body of the Messages API, read once: what the gateway needs to know of it and its
/// canonical form (keys sorted, no insignificant whitespace), which the cache key hashes.
struct MessagesRequest: Sendable {
    let model: String?
    let stream: Bool
    /// The body in canonical form: two bodies that differ only in key order or whitespace have the
    /// same canonical bytes.
    let canonicalBody: [UInt8]

    /// Why a body is not a JSON object, said so that a client can fix it.
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    init(body: [UInt8]) throws(Malformed) {
        let document: CanonicalJSON
        do {
            document = try CanonicalJSON(body)
        } catch {
            throw Malformed(description: "the request body is not valid JSON: \(error)")
        }
        guard document.isObject else {
            throw Malformed(description: "the request body must be a JSON object")
        }
        model = document.topLevel.strings["model"]
        stream = document.topLevel.bools["stream"] ?? false
        canonicalBody = document.output
    }
}
