/// The command line between `cco` and `cco-daemon`, read by both: what `cco daemon start|restart|run`
/// passes, and what `cco-daemon` accepts.
///
///     cco-daemon [--port N] [--host H] [--take-over]
///
/// and in its environment ``readinessOnlyVariable`` when the notification socket is `cco`'s own.
public struct DaemonArguments: Sendable, Hashable {
    /// `--host` and `--port`: the config's address overridden for one run.
    public var overrides: Overrides
    /// `--take-over`: started by `cco daemon restart` to take the running daemon's listener over.
    public var takesOver: Bool

    public init(overrides: Overrides = .init(), takesOver: Bool = false) {
        self.overrides = overrides
        self.takesOver = takesOver
    }

    /// The flag of a process that replaces the running daemon.
    public static let takeOverFlag = "--take-over"

    /// `cco-daemon --version` prints the version and exits: `cco doctor` checks that `cco` and the
    /// `cco-daemon` beside it are of one build.
    public static let versionFlag = "--version"

    /// Set for the daemon by `cco daemon start`: its `NOTIFY_SOCKET` only waits for readiness and
    /// goes away once start returns (a service manager's socket is kept for STOPPING, WATCHDOG, …).
    public static let readinessOnlyVariable = "CCO_NOTIFY_READINESS_ONLY"

    /// The argument vector, without the executable.
    public var arguments: [String] {
        overrides.arguments + (takesOver ? [Self.takeOverFlag] : [])
    }

    /// The inverse of ``arguments``.
    ///
    /// - Returns: the arguments, or why they are not understood.
    public static func parse(_ arguments: [String]) -> Result<DaemonArguments, ConfigError> {
        let takesOver = arguments.contains(takeOverFlag)
        return Overrides.parse(arguments.filter { $0 != takeOverFlag }).map { DaemonArguments(overrides: $0, takesOver: takesOver) }
    }

    /// Overrides given on the command line for one run; they reach the daemon as its own flags.
    public struct Overrides: Sendable, Hashable, Codable {
        public var host: String?
        public var port: Int?

        public init(host: String? = nil, port: Int? = nil) {
            self.host = host
            self.port = port
        }

        /// Neither flag was given.
        public var isEmpty: Bool { host == nil && port == nil }

        public var arguments: [String] {
            (port.map { ["--port", String($0)] } ?? []) + (host.map { ["--host", $0] } ?? [])
        }

        /// `--port N` and `--host H`, as `cco-daemon` receives them.
        public static func parse(_ arguments: [String]) -> Result<Overrides, ConfigError> {
            var overrides = Overrides()
            var rest = arguments[...]
            while let flag = rest.popFirst() {
                guard flag == "--port" || flag == "--host" else {
                    return .failure(ConfigError(file: DaemonExecutable.name, line: nil, key: nil, message: "unknown argument `\(flag)`; cco-daemon takes --port N, --host H and --take-over"))
                }
                guard let value = rest.popFirst() else {
                    return .failure(ConfigError(file: flag, line: nil, key: nil, message: "\(flag) needs a value"))
                }
                if flag == "--host" {
                    overrides.host = value
                } else if let port = Int(value) {
                    overrides.port = port
                } else {
                    return .failure(ConfigError(file: "--port", line: nil, key: "port", message: "`port` must be \(ConfigKey.port.allowed), found \"\(value)\""))
                }
            }
            return .success(overrides)
        }

        /// The config with these overrides applied and checked as the config file's values are.
        public func applied(to config: DaemonConfig, configFile: String) throws(ConfigError) -> DaemonConfig {
            var result = config
            if let port, let rejection = ConfigKey.port.assign(.integer(port), to: &result) {
                throw ConfigError(file: "--port", line: nil, key: "port", message: rejection)
            }
            if let host, let rejection = ConfigKey.host.assign(.string(host), to: &result) {
                throw ConfigError(file: "--host", line: nil, key: "host", message: rejection)
            }
            if let problem = result.remoteAccessProblem() {
                throw ConfigError(file: host != nil ? "--host" : configFile, line: nil, key: "host", message: problem)
            }
            return result
        }
    }
}
