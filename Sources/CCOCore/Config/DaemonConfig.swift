/// The daemon's configuration, as read from `config.toml` with a default for every key.
public struct DaemonConfig: Sendable, Hashable {
    public var port: Int = 3000
    public var host: String = "127.0.0.1"
    public var logLevel: LogLevelName = .info
    public var logRotationSize: Int = 10_485_760
    public var logMaxFiles: Int = 5
    public var databaseURL: String = "sqlite://analytics.db"
    public var cacheSize: Int = 1_073_741_824
    public var cacheTTL: Int = 3600
    public var autoStart: Bool = true
    public var healthChecks: Bool = true
    public var healthCheckInterval: Int = 30
    public var allowRemote: Bool = false
    public var upstreamURL: String = "https://api.anthropic.com"
    public var upstreamConnectTimeout: Int = 10
    public var upstreamTimeout: Int = 600
    /// Claude Code keeps a stream open per turn, per subagent and per session, often for minutes.
    public var upstreamMaxConnections: Int = 4096
    public var cacheMode: CacheMode = .exact
    public var cachePersist: Bool = false
    public var maxRequestSize: Int = 33_554_432
    public var clientTimeout: Int = 60
    /// Long enough for the longest stream Claude Code keeps open (a turn of minutes).
    public var drainTimeout: Int = 600
    public var analyticsRetentionDays: Int = 90
    public var socketActivation: Bool = false
    /// Host names requests may carry besides loopback ones and `host` (lowercased).
    public var allowedHosts: [String] = []
    /// Local users besides the daemon's own whose loopback connections are served.
    public var allowUsers: [String] = []
    /// `[pricing."MODEL"]` tables: prices that replace or add to the built-in table.
    public var pricing: [String: PriceOverride] = [:]
    /// `[budget]`: spending caps the gateway enforces.
    public var budget = BudgetConfig()

    public init() {}

    /// Each call holds two descriptors (client and upstream); 16384 of them fit the 65536 that the
    /// unit's `LimitNOFILE=` allows.
    public static let largestUpstreamMaxConnections = 16384

    /// A day: a draining daemon holds its memory and its upstream connections meanwhile.
    public static let longestDrainTimeout = 86400

    /// The URL clients use, e.g. `http://127.0.0.1:3000` or `http://[::1]:3000`.
    public static func baseURL(host: String, port: Int) -> String {
        host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)"
    }
}

/// `cache_mode`: which gateway requests the response cache answers.
public enum CacheMode: String, Sendable, Hashable, CaseIterable {
    /// Non-streaming requests whose canonical form matches a stored one exactly.
    case exact
    /// Never; every request goes upstream.
    case off
}
