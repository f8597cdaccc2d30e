public import CCOCore

/// What `stop` did.
public enum StopOutcome: Sendable, Hashable {
    /// The daemon exited. `killedAfter` is set when it was still running that long after SIGTERM
    /// and was killed; `cut` is what it (and any daemon still finishing after a restart, stopped
    /// with it) had in progress then, when it said.
    case stopped(service: String?, pid: Int32?, elapsed: Duration, killedAfter: Duration?, cut: RequestsInProgress? = nil)
    /// Nothing ran. `state` is the unit's state when a service manager was asked.
    case notRunning(service: String?, state: String?)
    /// Nothing ran, but a PID file was left behind and is now removed.
    case removedStalePIDFile(PIDRecord?)
}
