public import CCOCore

/// What `stop` did.
public enum StopOutcome: Sendable, Hashable {
    /// The daemon exited. `killedAfter` is set when it ignored SIGTERM that long and was killed.
    case stopped(service: String?, pid: Int32?, elapsed: Duration, killedAfter: Duration?)
    /// Nothing ran. `state` is the unit's state when a service manager was asked.
    case notRunning(service: String?, state: String?)
    /// Nothing ran, but a PID file was left behind and is now removed.
    case removedStalePIDFile(PIDRecord?)
}
