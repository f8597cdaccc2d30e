/// A value as written in TOML, typed.
public enum ConfigValue: Sendable, Hashable, CustomStringConvertible {
    case integer(Int)
    case string(String)
    case boolean(Bool)
    case strings([String])

    /// The TOML spelling: strings quoted and escaped.
    public var toml: String {
        switch self {
        case .integer(let v): String(v)
        case .boolean(let v): String(v)
        case .string(let v): QuotedString.quote(v)
        case .strings(let v): "[" + v.map(QuotedString.quote).joined(separator: ", ") + "]"
        }
    }

    /// How the value reads in an error message: `"abc"`, `-5`, `true`.
    public var description: String { toml }
}

/// Every key `config.toml` accepts: its name, its type, what is allowed, and where it lives in
/// ``DaemonConfig``. One table drives loading, validation, `config show|get|set` and the README.
public enum ConfigKey: String, Sendable, CaseIterable, Hashable {
    case port
    case host
    case allowRemote = "allow_remote"
    case logLevel = "log_level"
    case logRotationSize = "log_rotation_size"
    case logMaxFiles = "log_max_files"
    case databaseURL = "database_url"
    case cacheSize = "cache_size"
    case cacheTTL = "cache_ttl"
    case autoStart = "auto_start"
    case healthChecks = "health_checks"
    case healthCheckInterval = "health_check_interval"
    case upstreamURL = "upstream_url"
    case upstreamConnectTimeout = "upstream_connect_timeout"
    case upstreamTimeout = "upstream_timeout"
    case upstreamMaxConnections = "upstream_max_connections"
    case cacheMode = "cache_mode"
    case cachePersist = "cache_persist"
    case maxRequestSize = "max_request_size"
    case clientTimeout = "client_timeout"
    case drainTimeout = "drain_timeout"
    case analyticsRetentionDays = "analytics_retention_days"
    case socketActivation = "socket_activation"
    case allowedHosts = "allowed_hosts"
    case allowUsers = "allow_users"

    /// The key as written in TOML.
    public var name: String { rawValue }

    /// One line for `config show` and the README.
    public var summary: String {
        switch self {
        case .port: "TCP port of the HTTP server; 0 picks a free port"
        case .host: "address to listen on: an IP address or localhost"
        case .allowRemote: "allow a host that is not a loopback address"
        case .logLevel: "trace, debug, info, warn or error"
        case .logRotationSize: "bytes after which daemon.log is rotated"
        case .logMaxFiles: "log files kept, daemon.log included"
        case .databaseURL: "analytics database: sqlite://relative (in the state dir), sqlite:///absolute or sqlite::memory:"
        case .cacheSize: "response cache bound, in bytes"
        case .cacheTTL: "seconds a cached response stays valid"
        case .autoStart: "install also enables and starts the service"
        case .healthChecks: "the service manager watches the daemon (systemd watchdog)"
        case .healthCheckInterval: "seconds between health checks"
        case .upstreamURL: "where the gateway forwards API calls"
        case .upstreamConnectTimeout: "seconds to wait for a connection to the upstream"
        case .upstreamTimeout: "seconds the upstream may stay silent before the call fails with 504"
        case .upstreamMaxConnections: "upstream calls in flight at once (streams included); a call beyond it gets 503 at once"
        case .cacheMode: "exact (identical non-streaming requests are answered from the cache) or off"
        case .cachePersist: "keep the response cache across restarts, in cache.db in the state dir"
        case .maxRequestSize: "largest request body accepted, in bytes; larger ones get 413"
        case .clientTimeout: "seconds a client may stall while sending a request, or idle between requests, before it is disconnected"
        case .drainTimeout: "seconds a daemon replaced by restart, or stopping, finishes its requests in progress (streams included) before it cuts them"
        case .analyticsRetentionDays: "days of analytics kept; 0 keeps everything"
        case .socketActivation: "systemd listens on host:port (cco-daemon.socket) and starts the daemon on the first connection"
        case .allowedHosts: "names besides loopback ones and `host` that requests may carry in Host (a DNS-rebinding page's are refused)"
        case .allowUsers: "local users besides the daemon's own whose programs may connect over loopback"
        }
    }

    /// When a changed value takes effect.
    public enum Effect: Sendable {
        /// `cco daemon reload` applies it to the running daemon.
        case reload
        /// The daemon reads it at start only.
        case restart
        /// `cco daemon install` writes it into the unit or the plist.
        case install
    }

    public var effect: Effect {
        switch self {
        case .logLevel, .logRotationSize, .logMaxFiles, .cacheSize, .cacheTTL, .upstreamURL, .cacheMode, .maxRequestSize,
             .analyticsRetentionDays, .upstreamTimeout: .reload
        case .port, .host, .allowRemote, .databaseURL, .upstreamConnectTimeout, .upstreamMaxConnections, .cachePersist,
             .clientTimeout, .drainTimeout, .allowedHosts, .allowUsers: .restart
        case .autoStart, .healthChecks, .healthCheckInterval, .socketActivation: .install
        }
    }

    /// What the key allows, as said in error messages.
    public var allowed: String {
        switch self {
        case .port: "an integer from 0 to 65535"
        case .host: "an IP address or \"localhost\""
        case .logLevel: "one of " + LogLevelName.allCases.map(\.rawValue).joined(separator: ", ")
        case .logRotationSize, .logMaxFiles, .cacheSize, .cacheTTL, .healthCheckInterval, .upstreamConnectTimeout,
             .upstreamTimeout, .maxRequestSize, .clientTimeout: "an integer greater than 0"
        case .analyticsRetentionDays: "an integer from 0 up"
        case .drainTimeout: "an integer from 1 to \(DaemonConfig.longestDrainTimeout)"
        case .upstreamMaxConnections: "an integer from 1 to \(DaemonConfig.largestUpstreamMaxConnections)"
        case .upstreamURL: "an http:// or https:// URL with a host, and no query, fragment or credentials"
        case .cacheMode: "one of " + CacheMode.allCases.map(\.rawValue).joined(separator: ", ")
        case .databaseURL: "sqlite://relative/path, sqlite:///absolute/path or sqlite::memory:"
        case .allowRemote, .autoStart, .healthChecks, .cachePersist, .socketActivation: "true or false"
        case .allowedHosts: "a list of host names or addresses, e.g. [\"cco.home.arpa\"]"
        case .allowUsers: "a list of names of local users, e.g. [\"ana\"]"
        }
    }

    /// The key's value in `config`.
    public func value(in config: DaemonConfig) -> ConfigValue {
        switch self {
        case .port: .integer(config.port)
        case .host: .string(config.host)
        case .allowRemote: .boolean(config.allowRemote)
        case .logLevel: .string(config.logLevel.rawValue)
        case .logRotationSize: .integer(config.logRotationSize)
        case .logMaxFiles: .integer(config.logMaxFiles)
        case .databaseURL: .string(config.databaseURL)
        case .cacheSize: .integer(config.cacheSize)
        case .cacheTTL: .integer(config.cacheTTL)
        case .autoStart: .boolean(config.autoStart)
        case .healthChecks: .boolean(config.healthChecks)
        case .healthCheckInterval: .integer(config.healthCheckInterval)
        case .upstreamURL: .string(config.upstreamURL)
        case .upstreamConnectTimeout: .integer(config.upstreamConnectTimeout)
        case .upstreamTimeout: .integer(config.upstreamTimeout)
        case .upstreamMaxConnections: .integer(config.upstreamMaxConnections)
        case .cacheMode: .string(config.cacheMode.rawValue)
        case .cachePersist: .boolean(config.cachePersist)
        case .maxRequestSize: .integer(config.maxRequestSize)
        case .clientTimeout: .integer(config.clientTimeout)
        case .drainTimeout: .integer(config.drainTimeout)
        case .analyticsRetentionDays: .integer(config.analyticsRetentionDays)
        case .socketActivation: .boolean(config.socketActivation)
        case .allowedHosts: .strings(config.allowedHosts)
        case .allowUsers: .strings(config.allowUsers)
        }
    }

    /// Checks `value` and stores it in `config`.
    ///
    /// - Returns: `nil` when accepted, else why not (the caller adds file, line and key).
    public func assign(_ value: ConfigValue, to config: inout DaemonConfig) -> String? {
        switch (self, value) {
        case (.port, .integer(let v)):
            guard (0 ... 65535).contains(v) else { return rejection(value) }
            config.port = v
        case (.host, .string(let v)):
            guard HostAddress.isValid(v) else { return rejection(value) }
            config.host = v
        case (.logLevel, .string(let v)):
            guard let level = LogLevelName(rawValue: v) else { return rejection(value) }
            config.logLevel = level
        case (.databaseURL, .string(let v)):
            guard DatabaseLocation(url: v) != nil else { return rejection(value) }
            config.databaseURL = v
        case (.upstreamURL, .string(let v)):
            guard UpstreamURL(v) != nil else { return rejection(value) }
            config.upstreamURL = v
        case (.cacheMode, .string(let v)):
            guard let mode = CacheMode(rawValue: v) else { return rejection(value) }
            config.cacheMode = mode
        case (.analyticsRetentionDays, .integer(let v)):
            guard v >= 0 else { return rejection(value) }
            config.analyticsRetentionDays = v
        case (.upstreamMaxConnections, .integer(let v)):
            guard (1 ... DaemonConfig.largestUpstreamMaxConnections).contains(v) else { return rejection(value) }
            config.upstreamMaxConnections = v
        case (.drainTimeout, .integer(let v)):
            guard (1 ... DaemonConfig.longestDrainTimeout).contains(v) else { return rejection(value) }
            config.drainTimeout = v
        case (.logRotationSize, .integer(let v)), (.logMaxFiles, .integer(let v)), (.cacheSize, .integer(let v)),
             (.cacheTTL, .integer(let v)), (.healthCheckInterval, .integer(let v)), (.upstreamConnectTimeout, .integer(let v)),
             (.upstreamTimeout, .integer(let v)), (.maxRequestSize, .integer(let v)), (.clientTimeout, .integer(let v)):
            guard v > 0 else { return rejection(value) }
            switch self {
            case .logRotationSize: config.logRotationSize = v
            case .logMaxFiles: config.logMaxFiles = v
            case .cacheSize: config.cacheSize = v
            case .cacheTTL: config.cacheTTL = v
            case .upstreamConnectTimeout: config.upstreamConnectTimeout = v
            case .upstreamTimeout: config.upstreamTimeout = v
            case .maxRequestSize: config.maxRequestSize = v
            case .clientTimeout: config.clientTimeout = v
            default: config.healthCheckInterval = v
            }
        case (.allowedHosts, .strings(let v)):
            guard v.allSatisfy(HostAddress.isHostName) else { return rejection(value) }
            config.allowedHosts = v.map { $0.lowercased() }
        case (.allowUsers, .strings(let v)):
            if let unknown = v.first(where: { UserAccount.uid(named: $0) == nil }) {
                return "`\(name)` must be \(allowed); there is no user \(ConfigValue.string(unknown)) on this machine"
            }
            config.allowUsers = v
        case (.allowRemote, .boolean(let v)): config.allowRemote = v
        case (.autoStart, .boolean(let v)): config.autoStart = v
        case (.healthChecks, .boolean(let v)): config.healthChecks = v
        case (.cachePersist, .boolean(let v)): config.cachePersist = v
        case (.socketActivation, .boolean(let v)): config.socketActivation = v
        default:
            return rejection(value)
        }
        return nil
    }

    private func rejection(_ value: ConfigValue) -> String {
        "`\(name)` must be \(allowed), found \(value)"
    }

    /// Parses a value typed on the command line (`cco config set KEY VALUE`) into this key's type;
    /// a value of the wrong type is kept as a string so that the error message shows it.
    public func parseCommandLineValue(_ text: String) -> ConfigValue {
        switch value(in: DaemonConfig()) {
        case .integer: Int(text).map(ConfigValue.integer) ?? .string(text)
        case .boolean: Bool(text).map(ConfigValue.boolean) ?? .string(text)
        case .string: .string(text)
        case .strings: .strings(text.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { !$0.isEmpty })
        }
    }

    /// The known key closest to `unknown` in edit distance, when it is close enough to be a typo.
    public static func suggestion(for unknown: String) -> ConfigKey? {
        let scored = allCases.map { ($0, editDistance(unknown.lowercased(), $0.name)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, best.0.name.count / 3) ? best.0 : nil
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0 ... b.count)
        for i in 1 ... a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1 ... b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
