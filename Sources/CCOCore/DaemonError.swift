/// A failure of the daemon lifecycle, as an opaque code plus a one-line detail that says what to do.
///
/// Codes compare equal regardless of detail, so tests and the CLI's exit-code mapping match on codes.
public struct DaemonError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        fileprivate enum Value: String { case environment, stateDirectory, alreadyRunning, notRunning, startFailed, readinessTimedOut, stopFailed, lockFailed, addressInUse, listenFailed, config, serviceManager, notInstalled, database, usage }
        fileprivate let value: Value
        /// HOME/CCO_HOME missing or unusable.
        public static let environment = Code(value: .environment)
        /// The state directory cannot be created or written.
        public static let stateDirectory = Code(value: .stateDirectory)
        /// Another daemon holds the lock for this state directory.
        public static let alreadyRunning = Code(value: .alreadyRunning)
        /// No daemon runs for this state directory.
        public static let notRunning = Code(value: .notRunning)
        /// The daemon exited or reported an error before it was ready.
        public static let startFailed = Code(value: .startFailed)
        /// The daemon did not report ready in time.
        public static let readinessTimedOut = Code(value: .readinessTimedOut)
        /// The daemon could not be stopped.
        public static let stopFailed = Code(value: .stopFailed)
        /// A lock file could not be opened or locked.
        public static let lockFailed = Code(value: .lockFailed)
        /// The configured address is taken by another process.
        public static let addressInUse = Code(value: .addressInUse)
        /// The listener could not be bound for another reason.
        public static let listenFailed = Code(value: .listenFailed)
        /// The configuration is invalid.
        public static let config = Code(value: .config)
        /// The service manager (systemd over D-Bus) failed or cannot be reached.
        public static let serviceManager = Code(value: .serviceManager)
        /// The unit is not installed.
        public static let notInstalled = Code(value: .notInstalled)
        /// The analytics database cannot be opened or migrated.
        public static let database = Code(value: .database)
        /// The command's flags do not apply here (e.g. `--port` to a daemon a service manager runs).
        public static let usage = Code(value: .usage)
        public var description: String { value.rawValue }
    }

    public let code: Code
    public let detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { detail }

    public static func == (l: Self, r: Self) -> Bool { l.code == r.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
