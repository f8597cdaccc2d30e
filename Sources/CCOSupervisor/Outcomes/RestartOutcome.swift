public import CCOCore

/// What `restart` did.
public enum RestartOutcome: Sendable, Hashable {
    /// Standalone: a new process took the listening socket over; the previous one drained and
    /// exited (or was killed after draining too long).
    case handedOver(HandoverReport)
    /// A service manager restarted its unit or agent.
    case restarted(service: String, pid: Int32, address: String?, elapsed: Duration)
    /// No running daemon could hand its socket over: it was stopped (if it ran), then one started.
    case stoppedAndStarted(StopOutcome, StartOutcome)
}

/// A standalone restart in which the listener passed from one process to the next.
public struct HandoverReport: Sendable, Hashable {
    /// The daemon that handed over and exited.
    public let previousPID: Int32
    /// Where it listened: the same as the new record's when the listener was kept open.
    public let previousAddress: String
    public let record: PIDRecord
    /// From the command until the new daemon answered `/health`.
    public let elapsed: Duration
    /// From the new daemon's `READY=1` until the previous one had drained and exited.
    public let drained: Duration
    /// The previous daemon had to be killed after draining too long.
    public let killed: Bool

    /// The new daemon serves on the socket the previous one listened on.
    public var keptListener: Bool { previousAddress == record.baseURL }

    public init(previousPID: Int32, previousAddress: String, record: PIDRecord, elapsed: Duration, drained: Duration, killed: Bool) {
        self.previousPID = previousPID
        self.previousAddress = previousAddress
        self.record = record
        self.elapsed = elapsed
        self.drained = drained
        self.killed = killed
    }
}
