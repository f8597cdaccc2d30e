/// `upstream_url`, taken apart: where the gateway forwards to.
///
/// `https://api.anthropic.com`, `http://127.0.0.1:8080` and `https://proxy.example/anthropic` (a path
/// prefix) are accepted; a query, a fragment or `user:password@` is not, because none of them would
/// mean anything once a request path is appended.
public struct UpstreamURL: Sendable, Hashable, CustomStringConvertible {
    public let scheme: String
    public let host: String
    public let port: Int
    /// The path prefix without a trailing slash; empty for none.
    public let basePath: String
    /// The `Host` header's value: the host (an IPv6 address in brackets), and the port when it is
    /// not the scheme's default. Made once: every call sends it.
    public let authority: String
    /// `https://api.anthropic.com`, with the port only when it is not the scheme's default.
    public let origin: String

    public init?(_ text: String) {
        let scheme: String
        let rest: Substring
        if text.hasPrefix("https://") { scheme = "https"; rest = text.dropFirst(8) }
        else if text.hasPrefix("http://") { scheme = "http"; rest = text.dropFirst(7) }
        else { return nil }
        guard !rest.contains(where: { $0 == "?" || $0 == "#" || $0 == "@" || $0 == " " || $0 == "\\" }) else { return nil }
        let authority = rest.prefix { $0 != "/" }
        var path = String(rest.dropFirst(authority.count))
        while path.hasSuffix("/") { path.removeLast() }
        var host = Substring(authority)
        var port = scheme == "https" ? 443 : 80
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex) ..< close]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()), (1 ... 65535).contains(p) else { return nil }
                port = p
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1 ... 65535).contains(p) else { return nil }
            port = p
            host = host[..<colon]
        }
        guard !host.isEmpty else { return nil }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.basePath = path
        let hostText = host.contains(":") ? "[\(host)]" : String(host)
        self.authority = port == (scheme == "https" ? 443 : 80) ? hostText : "\(hostText):\(port)"
        origin = "\(scheme)://\(self.authority)"
    }

    /// The request target for a path such as `/v1/messages?beta=true`: under the base path.
    public func target(forPath path: String) -> String {
        basePath + path
    }

    public var description: String { origin + basePath }
}
