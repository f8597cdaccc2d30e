/// What `reload` did.
public enum ReloadOutcome: Sendable, Hashable {
    /// The daemon re-read its config; `status` says what it applied and what waits for a restart.
    /// `service` names the unit that was reloaded (nil when the daemon answered itself).
    case reloaded(service: String?, pid: Int32, status: String)
    /// SIGHUP was sent to a daemon that cannot report the outcome (one without an admin token).
    case requested(pid: Int32)
}
