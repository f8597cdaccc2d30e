/// What `install` did, in the order it happened.
public struct InstallOutcome: Sendable, Hashable {
    /// Each file written (or found unchanged), with what was done to make the manager read it.
    public var files: [InstalledFile]
    /// A standalone daemon that was stopped so that the manager runs the only one.
    public var stoppedStandalonePID: Int32?
    public var activation: Activation
    /// The user whose lingering is off: the daemon will not run before they log in.
    public var lingerOffUser: String?

    public init(files: [InstalledFile], stoppedStandalonePID: Int32? = nil, activation: Activation, lingerOffUser: String? = nil) {
        self.files = files
        self.stoppedStandalonePID = stoppedStandalonePID
        self.activation = activation
        self.lingerOffUser = lingerOffUser
    }

    public enum Activation: Sendable, Hashable {
        /// `socket_activation`: the socket unit listens from login and starts the daemon on demand.
        case socketListening(unit: String, listen: String)
        /// Enabled and running under systemd.
        case running(pid: Int32, statusText: String)
        /// Enabled and started under launchd.
        case started(StartOutcome)
        /// `auto_start = false`: nothing enabled or started; `hint` says how to.
        case notStarted(hint: String)
    }
}

/// One service file that `install` wrote, or found identical.
public struct InstalledFile: Sendable, Hashable {
    public var path: String
    public var change: FileChange
    /// What was done after writing it: "reloaded systemd", "loaded into gui/501", …
    public var effect: String

    public init(path: String, change: FileChange, effect: String) {
        self.path = path
        self.change = change
        self.effect = effect
    }
}

/// What `install --dry-run` would do.
public struct InstallPlan: Sendable, Hashable {
    /// Each file that would be written.
    public var files: [PlannedFile]
    /// A line that introduces ``calls``.
    public var callsHeading: String
    /// The service manager calls that would be made, one per line.
    public var calls: [String]

    public init(files: [PlannedFile], callsHeading: String, calls: [String]) {
        self.files = files
        self.callsHeading = callsHeading
        self.calls = calls
    }
}

/// A file `install` would write: its text, or why it cannot be rendered.
public struct PlannedFile: Sendable, Hashable {
    public var path: String
    /// Said after the path: "(systemd version unknown here: planned for < 253)".
    public var note: String?
    public var content: Result<String, PlanProblem>

    public init(path: String, note: String? = nil, content: Result<String, PlanProblem>) {
        self.path = path
        self.note = note
        self.content = content
    }
}

/// Why a planned file cannot be rendered (a config value it needs is unusable).
public struct PlanProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
