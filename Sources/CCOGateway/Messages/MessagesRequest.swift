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
        let read: (isObject: Bool, model: String?, stream: Bool)
        do {
            read = try body.withUnsafeReadableBytes { (raw) throws(CanonicalJSON.SyntaxError) in
                let input = raw.assumingMemoryBound(to: UInt8.self)
                let document = try CanonicalJSON(input, writing: false)
                let model = document.topLevel.value(named: "model", in: input).flatMap { Self.plainString(input[$0]) }
                let stream = document.topLevel.value(named: "stream", in: input).map { input[$0].first == UInt8(ascii: "t") } ?? false
                return (document.isObject, model, stream)
            }
        } catch {
            throw Malformed(description: "the request body is not valid JSON: \(error)")
        }
        guard read.isObject else {
            throw Malformed(description: "the request body must be a JSON object")
        }
        model = read.model
        stream = read.stream
        self.body = body
    }

    /// A checked JSON string's content, nil for another value or one with escapes.
    private static func plainString(_ value: Slice<UnsafeBufferPointer<UInt8>>) -> String? {
        guard value.first == UInt8(ascii: "\""), !value.contains(UInt8(ascii: "\\")) else { return nil }
        return String(decoding: value.dropFirst().dropLast(), as: UTF8.self)
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
