public import CCOCore
public import Hummingbird
public import Logging
import HTTPTypes
public import NIOHTTP1

/// Refuses what a web page could make a browser send to a daemon on loopback, before any route:
/// - a `Host` that is not a loopback name or address, the configured `host`, or one of
///   `allowed_hosts`: a DNS-rebinding page reaches 127.0.0.1 under its own name (`421`);
/// - an `Origin` other than the daemon's own (`http://` and the request's Host), `Origin: null`
///   included, and `Sec-Fetch-Site: cross-site`: a cross-site request, which a page can send
///   without a CORS preflight as `text/plain` (`403`).
/// cco never answers with CORS headers, so a browser lets no other origin read an answer either.
/// Clients that are not browsers (the SDKs, Claude Code, curl, `cco`) send none of these and pass.
///
/// It stands in front of the router as a responder (``guarding(_:)``) rather than as a router
/// middleware, whose chain of closures would add its frames to every request's task, which keeps
/// them for as long as the connection stays open.
public struct SameOriginGuard: Sendable {
    /// Lowercased names besides the loopback ones.
    let allowedHosts: Set<String>
    let metrics: GatewayMetrics
    let logger: Logger

    public init(config: DaemonConfig, metrics: GatewayMetrics, logger: Logger) {
        allowedHosts = Set(config.allowedHosts + [config.host.lowercased()])
        self.metrics = metrics
        self.logger = logger
    }

    static let secFetchSite = HTTPField.Name("sec-fetch-site")!

    /// `next` behind this guard.
    public func guarding<Next: HTTPResponder>(_ next: Next) -> Guarded<Next> {
        Guarded(check: self, next: next)
    }

    /// A responder behind the guard.
    public struct Guarded<Next: HTTPResponder>: HTTPResponder where Next.Context == ConnectionContext {
        let check: SameOriginGuard
        let next: Next

        public func respond(to request: Request, context: ConnectionContext) async throws -> Response {
            if let refusal = check.refusal(of: request) { return refusal }
            return try await next.respond(to: request, context: context)
        }
    }

    /// The answer to a request that may not go further, nil for one that may. Out of `respond`,
    /// whose frame a connection's task keeps for as long as the connection is open.
    @inline(never)
    private func refusal(of request: Request) -> Response? {
        refusal(host: request.head.authority, origin: request.headers[.origin], secFetchSite: request.headers[Self.secFetchSite])?.response
    }

    /// The answer to a request of the gateway's routes that may not go further, nil for one that may.
    @inline(never)
    public func refusal(of head: HTTPRequestHead) -> GatewayResponse? {
        var host: String?, origin: String?, secFetchSite: String?
        Self.checkedNames.firstValues(in: head.headers) { index, value in
            switch index {
            case 0: host = value
            case 1: origin = value
            default: secFetchSite = value
            }
        }
        return refusal(host: host, origin: origin, secFetchSite: secFetchSite)?.answer
    }

    private static let checkedNames = HeaderNames(["host", "origin", "sec-fetch-site"])

    private func refusal(host: String?, origin: String?, secFetchSite: String?) -> GatewayError? {
        // Most requests carry a loopback Host and no Origin: settled without building a string.
        if let host, !isAllowed(host: host) {
            return refuse("host", "a request for Host \"\(host.prefix(100))\"",
                          GatewayError(status: .misdirectedRequest, type: "permission_error",
                                       message: "cco: this daemon does not answer for Host \"\(host.prefix(100))\"; if you reach it by that name, add it to allowed_hosts in config.toml"))
        }
        if let origin, origin.lowercased() != host.map({ "http://" + $0.lowercased() }) {
            return refuse("origin", "a request from Origin \"\(origin.prefix(100))\"", Self.crossSite("Origin \"\(origin.prefix(100))\""))
        }
        if secFetchSite?.lowercased() == "cross-site" {
            return refuse("cross_site", "a cross-site request (Sec-Fetch-Site)", Self.crossSite("a cross-site page"))
        }
        return nil
    }

    /// Whether `host` (a Host header: a name or address, and maybe a port) names this daemon.
    func isAllowed(host: String) -> Bool {
        if Self.isPlainLoopback(host) { return true }
        let name = Self.name(ofHostHeader: host)
        return HostAddress.isLoopback(name) || allowedHosts.contains(name)
    }

    /// `127.0.0.1` or `localhost`, with or without a port: what a local client sends, decided on
    /// its bytes, with no string made.
    static func isPlainLoopback(_ host: String) -> Bool {
        let bytes = host.utf8
        for name in plainLoopbackNames where bytes.starts(with: name.utf8) {
            let port = bytes.dropFirst(name.utf8.count)
            return port.isEmpty || (port.count > 1 && port.first == UInt8(ascii: ":")
                && port.dropFirst().allSatisfy(ASCII.isDigit))
        }
        return false
    }

    private static let plainLoopbackNames = ["127.0.0.1", "localhost"]

    /// `localhost:3000` → `localhost`, `[::1]:3000` → `::1`, lowercased.
    static func name(ofHostHeader host: String) -> String {
        let lowered = host.lowercased()
        if lowered.hasPrefix("["), let close = lowered.firstIndex(of: "]") {
            return String(lowered[lowered.index(after: lowered.startIndex) ..< close])
        }
        guard let colon = lowered.lastIndex(of: ":"), lowered.firstIndex(of: ":") == colon else { return lowered }
        return String(lowered[..<colon])
    }

    static func crossSite(_ what: String) -> GatewayError {
        GatewayError(status: .forbidden, type: "permission_error",
                     message: "cco: refused a request from \(what): the daemon serves its own user's programs, not web pages")
    }

    private func refuse(_ reason: String, _ what: String, _ error: GatewayError) -> GatewayError {
        metrics.requestRefused(reason)
        logger.warning("refused \(what)")
        return error
    }
}
