public import CCOCore

/// What `start` did.
public enum StartOutcome: Sendable, Hashable {
    /// A daemon was started and serves. `service` names the unit or agent that runs it (nil when
    /// standalone); `notes` are things done on the way (a stale PID file removed).
    case started(service: String?, pid: Int32, address: String?, elapsed: Duration, notes: [String])
    /// One already ran; nothing was changed.
    case alreadyRunning(service: String?, pid: Int32, address: String?)
}
