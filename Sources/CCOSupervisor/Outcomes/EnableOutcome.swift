/// What `enable` did.
public struct EnableOutcome: Sendable, Hashable {
    public var service: String
    public var change: Change
    /// With `--now`: the daemon that then runs.
    public var running: Running?

    public init(service: String, change: Change, running: Running? = nil) {
        self.service = service
        self.change = change
        self.running = running
    }

    public enum Change: Sendable, Hashable {
        /// systemd: the links `EnableUnitFiles` created (empty when it already was enabled).
        case links([UnitLink])
        /// launchd: the agent is marked to start at login (`launchctl enable`).
        case enabledAtLogin
    }

    /// A link in `~/.config/systemd/user/*.wants`, and the unit file it points at.
    public struct UnitLink: Sendable, Hashable {
        public var file: String
        public var destination: String
        public init(file: String, destination: String) {
            self.file = file
            self.destination = destination
        }
    }

    public enum Running: Sendable, Hashable {
        /// systemd started the unit: its pid and `STATUS=`.
        case unit(pid: Int32, statusText: String)
        /// launchd started the agent.
        case started(StartOutcome)
    }
}

/// What `disable` did.
public struct DisableOutcome: Sendable, Hashable {
    public var service: String
    /// systemd: the links `DisableUnitFiles` removed (empty when it was not enabled); nil under launchd.
    public var removedLinks: [String]?
    /// With `--now`: it was stopped too.
    public var stopped: Bool

    public init(service: String, removedLinks: [String]?, stopped: Bool) {
        self.service = service
        self.removedLinks = removedLinks
        self.stopped = stopped
    }
}

/// What `logs` found.
public enum LogsOutcome: Sendable, Hashable {
    case printed
    /// No daemon has logged to `path` yet.
    case noLogYet(path: String)
}
