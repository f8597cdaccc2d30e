/// Exit statuses of `cco daemon run`, shared by the daemon, `cco daemon start` and the systemd unit's
/// `RestartPreventExitStatus=` (sysexits.h numbering).
public enum DaemonExitStatus {
    public static let success: Int32 = 0
    public static let failure: Int32 = 1
    /// Another daemon already holds the lock for this state directory (EX_TEMPFAIL).
    public static let alreadyRunning: Int32 = 75
    /// The configuration is invalid; restarting will not help (EX_CONFIG).
    public static let configError: Int32 = 78

    /// The exit status for a failure of the daemon's start-up.
    public static func status(for code: DaemonError.Code) -> Int32 {
        switch code {
        case .config: configError
        case .alreadyRunning: alreadyRunning
        default: failure
        }
    }
}
