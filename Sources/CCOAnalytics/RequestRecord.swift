public import CCOCore

/// One gateway request, as the analytics table stores it.
public struct RequestRecord: Sendable, Hashable {
    /// When the request arrived, in milliseconds since the Unix epoch.
    public var timestampMilliseconds: Int64
    /// The route's path pattern, e.g. `/v1/messages`.
    public var route: String
    /// The request's `model`, when it named one.
    public var model: String?
    public var status: Int
    /// From the request's arrival to the last byte of the response.
    public var latencyMilliseconds: Double
    public var usage: TokenUsage
    public var cacheHit: Bool
    public var streamed: Bool
    /// A stream that ended before `message_stop` (the client left, the upstream cut it): its usage
    /// is what had arrived.
    public var incomplete: Bool
    /// `usage.service_tier` (`standard`, `priority`, `batch`).
    public var serviceTier: String?
    /// Charged at the model's long-context prices (the prompt was past their threshold).
    public var longContext: Bool
    /// What the call cost upstream (0 for a cache hit, which cost nothing).
    public var costUSD: Double
    /// On a cache hit, what the call would have cost upstream.
    public var savedUSD: Double
    /// False when the model had no price, so cost and savings are unknown rather than 0.
    public var priced: Bool
    /// The client's User-Agent.
    public var client: String?
    /// Who made the call: Claude Code's session and agents, the client's product and version.
    public var attribution: Attribution
    /// The upstream's `request-id`.
    public var requestID: String?
    /// The upstream's `anthropic-ratelimit-unified-*` headers, as they came.
    public var rateLimits: [RateLimitHeader] = []
    /// Counted by this process's budget ledger as it was answered (not stored): once written, the
    /// row is not counted again when the ledger reads what others wrote.
    public var countedInBudget = false

    public init(timestampMilliseconds: Int64, route: String, model: String?, status: Int, latencyMilliseconds: Double,
                usage: TokenUsage = .zero, cacheHit: Bool = false, streamed: Bool = false, incomplete: Bool = false,
                serviceTier: String? = nil, costUSD: Double = 0, savedUSD: Double = 0, priced: Bool = true,
                client: String? = nil, attribution: Attribution = Attribution(), requestID: String? = nil) {
        self.timestampMilliseconds = timestampMilliseconds
        self.route = route
        self.model = model
        self.status = status
        self.latencyMilliseconds = latencyMilliseconds
        self.usage = usage
        self.cacheHit = cacheHit
        self.streamed = streamed
        self.incomplete = incomplete
        self.serviceTier = serviceTier
        self.longContext = false
        self.costUSD = costUSD
        self.savedUSD = savedUSD
        self.priced = priced
        self.client = client
        self.attribution = attribution
        self.requestID = requestID
    }

    /// Prices `usage` with `pricing`: a hit costs nothing and saves what the call would have cost.
    public mutating func price(with pricing: PricingTable) {
        guard let model, usage != .zero else { return }
        guard let price = pricing.price(for: model) else {
            priced = false
            return
        }
        let cost = price.cost(of: usage)
        longContext = price.isLongContext(usage)
        if cacheHit { savedUSD = cost; costUSD = 0 } else { costUSD = cost; savedUSD = 0 }
    }
}

/// Who made a call, from its request headers.
public struct Attribution: Sendable, Hashable {
    /// `X-Claude-Code-Session-Id`.
    public var session: String?
    /// `X-Claude-Code-Agent-Id`: a subagent.
    public var agent: String?
    /// `X-Claude-Code-Parent-Agent-Id`.
    public var parentAgent: String?
    /// The User-Agent's product and version: `claude-cli` and `2.0.14` of `claude-cli/2.0.14 (external, cli)`.
    public var clientName: String?
    public var clientVersion: String?
    /// `x-cco-project`, or the directory of the session's transcript under Claude Code's projects.
    public var project: String?

    public init(session: String? = nil, agent: String? = nil, parentAgent: String? = nil, clientName: String? = nil,
                clientVersion: String? = nil, project: String? = nil) {
        self.session = session
        self.agent = agent
        self.parentAgent = parentAgent
        self.clientName = clientName
        self.clientVersion = clientVersion
        self.project = project
    }

    /// The product and version of a User-Agent: `claude-cli/2.0.14 (external, cli)` gives
    /// `claude-cli` and `2.0.14`; `Anthropic/Python 0.75.0` gives `Anthropic/Python` and `0.75.0`.
    /// Read as bytes: every call has one, and splitting it as a `String` (by characters) cost a
    /// call more than its whole check.
    public static func product(ofUserAgent userAgent: String) -> (name: String, version: String?)? {
        let bytes = userAgent.utf8
        let space = UInt8(ascii: " "), slash = UInt8(ascii: "/")
        func word(from start: String.Index) -> Substring.UTF8View? {
            guard let first = bytes[start...].firstIndex(where: { $0 != space }) else { return nil }
            return bytes[first ..< (bytes[first...].firstIndex(of: space) ?? bytes.endIndex)]
        }
        func startsWithDigit(_ text: Substring.UTF8View) -> Bool {
            text.first.map(ASCII.isDigit) ?? false
        }
        guard let first = word(from: bytes.startIndex) else { return nil }
        if let at = first.firstIndex(of: slash), at != first.startIndex {
            let version = first[first.index(after: at)...]
            if startsWithDigit(version) { return (String(Substring(first[..<at])), String(Substring(version))) }
        }
        if let second = word(from: first.endIndex), startsWithDigit(second) { return (String(Substring(first)), String(Substring(second))) }
        return (String(Substring(first)), nil)
    }
}

/// One of an answer's `anthropic-ratelimit-unified-*` headers, kept as it came: its name is cut to
/// its ``key`` only for the one row of a batch whose headers the store keeps (the latest), not for
/// every call on its way.
public struct RateLimitHeader: Sendable, Hashable {
    public static let prefix = "anthropic-ratelimit-unified-"
    /// The whole header name, in the case it came in.
    public let name: String
    public let value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// `5h-utilization` of `anthropic-ratelimit-unified-5h-utilization` (in any case).
    public var key: String {
        String(decoding: name.utf8.dropFirst(Self.prefix.utf8.count), as: UTF8.self).lowercased()
    }
}
