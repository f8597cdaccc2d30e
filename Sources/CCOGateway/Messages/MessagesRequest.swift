import NIOCore

/// A request body of the Messages API, checked once without copying it: what the gateway needs to
/// know of it, and on demand its canonical form (keys sorted, no insignificant whitespace), which
/// the cache key hashes. Only cacheable requests need that form; a Claude Code stream's body (often
/// hundreds of KB) is only checked.
struct MessagesRequest: Sendable {
    let model: String?
    let stream: Bool
    private let body: ByteBuffer

    /// Why a body is not a JSON object, said so that a client can fix it.
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    init(body: ByteBuffer) throws(Malformed) {
        let document: CanonicalJSON
        do {
            document = try body.withUnsafeReadableBytes { (raw) throws(CanonicalJSON.SyntaxError) in
                try CanonicalJSON(raw.assumingMemoryBound(to: UInt8.self), writing: false)
            }
        } catch {
            throw Malformed(description: "the request body is not valid JSON: \(error)")
        }
        guard document.isObject else {
            throw Malformed(description: "the request body must be a JSON object")
        }
        model = document.topLevel.strings["model"]
        stream = document.topLevel.bools["stream"] ?? false
        self.body = body
    }

    /// The body in canonical form: two bodies that differ only in key order or whitespace have the
    /// same canonical bytes.
    var canonicalBody: [UInt8] {
        // The same scan that checked the body when this was made, now writing: it cannot fail, and
        // an empty fallback would give every such body one cache key.
        body.withUnsafeReadableBytes { raw in
            try! CanonicalJSON(raw.assumingMemoryBound(to: UInt8.self), writing: true).output
        }
    }
}
