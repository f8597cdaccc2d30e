public import CCOCore
public import CCOAnalytics

/// A complete upstream answer kept in the response cache: only 200s of non-streaming requests.
public struct CachedResponse: Sendable, Hashable {
    let contentType: String
    let body: [UInt8]
    let model: String?
    let usage: TokenUsage
    /// When it was stored, in milliseconds since the epoch (for the `age` header).
    let storedAtMilliseconds: Int64

    /// What it counts against `cache_size`: the body, the content type and a fixed overhead for the
    /// entry's bookkeeping, so that many tiny entries cannot exceed the bound unnoticed.
    var cost: Int { body.count + contentType.utf8.count + (model?.utf8.count ?? 0) + 128 }
}
