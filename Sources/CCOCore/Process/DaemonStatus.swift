/// What runs for a state directory, decided from the daemon's lock (the truth: it is held exactly
/// while a daemon process lives) and its PID file (the details).
public enum DaemonStatus: Sendable, Hashable {
    /// A daemon holds the lock and its PID file names it.
    case running(PIDRecord)
    /// A daemon holds the lock but has not written its PID file yet (it is binding its listener).
    case starting(pid: Int32)
    /// No daemon holds the lock, but a PID file was left behind (the daemon was killed or crashed);
    /// the record is `nil` when the file cannot be parsed.
    case stale(PIDRecord?)
    /// No daemon, no PID file.
    case notRunning

    /// Reads the lock holder from `/proc/locks` and the PID file, without taking any lock.
    public static func read(_ paths: CCOPaths) -> DaemonStatus {
        let holder = FileLock.holder(of: paths.lockFile)
        let record: PIDRecord?
        let pidFileExists: Bool
        do {
            record = try PIDFile(path: paths.pidFile).read()
            pidFileExists = record != nil
        } catch {
            record = nil
            pidFileExists = true
        }
        if let holder {
            if let record, record.pid == holder, record.matches(ProcessIdentity.of(pid: holder)) {
                return .running(record)
            }
            return .starting(pid: holder)
        }
        return pidFileExists ? .stale(record) : .notRunning
    }

    /// The pid of the live daemon, if any.
    public var livePID: Int32? {
        switch self {
        case .running(let record): record.pid
        case .starting(let pid): pid
        case .stale, .notRunning: nil
        }
    }
}
