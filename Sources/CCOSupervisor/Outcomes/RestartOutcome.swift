public import CCOCore

/// What `restart` did.
public enum RestartOutcome: Sendable, Hashable {
    /// Standalone: a new process took the listening socket over; the previous one exited or is
    /// finishing its requests in progress.
    case handedOver(HandoverReport)
    /// A service manager restarted its unit or agent.
    case restarted(service: String, pid: Int32, address: String?, elapsed: Duration)
    /// No running daemon could hand its socket over: it was stopped (if it ran), then one started.
    case stoppedAndStarted(StopOutcome, StartOutcome)
}

/// A standalone restart in which the listener passed from one process to the next.
public struct HandoverReport: Sendable, Hashable {
    /// What the daemon that handed over does now.
    public enum Previous: Sendable, Hashable {
        /// It had nothing in progress and exited this long after the takeover.
        case exited(after: Duration)
        /// It finishes what it had in progress at the takeover (streams included) while the new
        /// one serves everything new; `cco daemon status` follows it.
        case finishing(DrainRecord)
        /// It had nothing in progress but had not exited a few seconds later.
        case stillExiting
    }

    /// The daemon that handed over.
    public let previousPID: Int32
    /// Where it listened: the same as the new record's when the listener was kept open.
    public let previousAddress: String
    public let record: PIDRecord
    /// From the command until the new daemon answered `/health`.
    public let elapsed: Duration
    public let previous: Previous

    /// The new daemon serves on the socket the previous one listened on.
    public var keptListener: Bool { previousAddress == record.baseURL }

    public init(previousPID: Int32, previousAddress: String, record: PIDRecord, elapsed: Duration, previous: Previous) {
        self.previousPID = previousPID
        self.previousAddress = previousAddress
        self.record = record
        self.elapsed = elapsed
        self.previous = previous
    }
}
