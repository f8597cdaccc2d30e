import Crypto

/// The response cache's key: SHA-256 of everything that decides the answer, scoped by a hash of
/// the caller's credential so that one key's cache never answers another's.
///
/// Hashed: the credential's own SHA-256 (never the credential), the upstream, the method and path
/// with its query, `anthropic-version`, `anthropic-beta` and the canonical body.
struct CacheKey: Sendable, Hashable, CustomStringConvertible {
    let hex: String

    init(credential: String?, upstream: String, method: String, path: String, anthropicVersion: String?,
         anthropicBeta: String?, canonicalBody: [UInt8]) {
        var hasher = SHA256()
        hasher.update(data: Array("cco-cache-v1".utf8))
        for field in [Self.credentialScope(credential), upstream, method, path, anthropicVersion ?? "", anthropicBeta ?? ""] {
            hasher.update(data: [0])
            hasher.update(data: Array(field.utf8))
        }
        hasher.update(data: [0])
        hasher.update(data: canonicalBody)
        hex = Self.hex(hasher.finalize())
    }

    /// The credential's SHA-256 in hex; "anonymous" when the request carries none.
    static func credentialScope(_ credential: String?) -> String {
        guard let credential, !credential.isEmpty else { return "anonymous" }
        return hex(SHA256.hash(data: Array(credential.utf8)))
    }

    private static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    var description: String { hex }
}
